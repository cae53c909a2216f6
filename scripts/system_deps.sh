#!/usr/bin/env bash
# Check the Debian packages that one use of the portal needs, and install the missing ones.
#
#   scripts/system_deps.sh run      running the portal (`make run`, `make setup`):
#     gettext                       compilemessages (msgfmt)
#     libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
#                                   WeasyPrint, which renders the PDF reports
#     libcairo2                     CairoSVG, which renders the charts as PNG for the reports' ODT
#     fonts-noto-core               Noto Sans Arabic and others: posters print meeting translations
#                                   (Arabic right to left, Turkish, Portuguese...) without missing glyphs
#     age                           encrypts the backups (`make backup`) and decrypts them (`make restore`)
#   scripts/system_deps.sh test     the test suite (`make test`), in addition:
#     poppler-utils                 pdftoppm / pdftotext, used by the tests to read the PDFs
#     chromium                      the browser tests
#     default-jre-headless          Java for the W3C Nu HTML checker (npm vnu-jar), which validates pages
#     libreoffice-calc-nogui        proves the XLSX/CSV exports open in LibreOffice
#     libreoffice-writer-nogui      converts the reports' ODT to PDF, to read it back
#     postgresql                    the server: CI's, and a private throw-away cluster (initdb, pg_ctl)
#                                   in tests/whole_site/test_faults.py
#     nginx                         Debian's nginx (1.22), run with the shipped deploy/nginx configuration
#                                   in front of gunicorn by tests/whole_site/test_reverse_proxy.py
#   scripts/system_deps.sh bench    the benchmark (`make bench`), in addition to `run`:
#     wrk                           HTTP load generator
#     postgresql                    the benchmark's database
#
# As root, missing packages are installed with apt-get. Otherwise the exact command to run is printed
# and the script fails, so that `make setup` stops before anything half-works.
# Python 3.11 and Node.js 20 (with npm) are expected on the machine already.
set -euo pipefail

PACKAGES=(
  gettext
  libpango-1.0-0
  libpangoft2-1.0-0
  libharfbuzz-subset0
  libcairo2
  fonts-dejavu-core
  fonts-noto-core
  age
)
purpose="${1:-run}"
case "$purpose" in
  run) ;;
  test) PACKAGES+=(poppler-utils chromium default-jre-headless libreoffice-calc-nogui libreoffice-writer-nogui postgresql nginx) ;;
  bench) PACKAGES+=(wrk postgresql) ;;
  *)
    echo "usage: scripts/system_deps.sh [run|test|bench]" >&2
    exit 2
    ;;
esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system_deps: not a Debian system; make sure these are installed: ${PACKAGES[*]}" >&2
  exit 0
fi

# A Debian python3 needs python3-venv to create the virtual environment (pyenv and python.org
# builds carry ensurepip themselves).
python="$(command -v python3.11 || command -v python3 || true)"
if [[ -z "$python" ]]; then
  echo "system_deps: Python 3.11 is required (python3.11 or python3 on PATH)." >&2
  exit 1
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "system_deps: $python is $("$python" --version 2>&1); Python 3.11 or newer is required." >&2
  exit 1
fi
if [[ ! -x "$ROOT/.venv/bin/python" ]] && ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
  PACKAGES+=(python3-venv)
fi

if [[ -f "$ROOT/package-lock.json" ]] && ! command -v npm >/dev/null 2>&1; then
  echo "system_deps: Node.js 20 with npm is required for the front-end assets (npm ci)." >&2
  exit 1
fi

missing=()
for package in "${PACKAGES[@]}"; do
  status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$package" 2>/dev/null || true)"
  if [[ "$status" != ii* ]]; then
    missing+=("$package")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "system_deps ($purpose): all Debian packages present."
  exit 0
fi

echo "system_deps ($purpose): missing Debian packages: ${missing[*]}"
if [[ "$(id -u)" -eq 0 ]]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${missing[@]}"
else
  echo "Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi
