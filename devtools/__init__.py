"""Development tools, never deployed: the demo data of the local run and the benchmark's dataset.

Installed only when DEBUG is on (the local run, the tests, `make bench`'s commands); the production
image leaves this folder out (.dockerignore). Product code never imports it.
"""
