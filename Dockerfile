# syntax=docker/dockerfile:1
# Production image of Quartiers en dialogue: gunicorn by default; the same image runs the Celery
# worker and beat (see docker-compose.yml).

# Stage 1: the front-end assets (Bootstrap, Bootstrap Icons, htmx) from the npm lockfile.
FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY scripts/copy_assets.sh scripts/
RUN bash scripts/copy_assets.sh

# Stage 2: the application.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    PATH=/opt/venv/bin:$PATH \
    VAR_DIR=/app/var

# WeasyPrint's libraries and fonts (PDF reports; fonts-noto-core: Noto Sans Arabic for the posters'
# meeting translations); Cairo for CairoSVG (the charts of the reports' ODT, as PNG); gettext for
# compilemessages; the PostgreSQL client and age for the encrypted backups (scripts/backup.sh).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libcairo2 \
        fonts-dejavu-core fonts-noto-core \
        gettext postgresql-client age \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them: exactly the locked set of
# uv.lock (the one CI tested), without the dev group, into /opt/venv with the image's Python. uv
# itself comes from PyPI at the version pyproject.toml requires and leaves the image afterwards.
# The project is not a package: its code runs from /app (PYTHONPATH).
COPY pyproject.toml uv.lock ./
RUN uv_version="$(sed -n 's/^required-version = "==\(.*\)"/\1/p' pyproject.toml)" \
    && pip install "uv==${uv_version}" \
    && uv sync --locked --no-dev --python /usr/local/bin/python3.11 \
    && pip uninstall --yes uv

COPY . .
COPY --from=assets /build/static/vendor static/vendor

# Build-time settings only: nothing here reaches the running containers.
RUN DEBUG=false SECRET_KEY=build-only ALLOWED_HOSTS=localhost \
        python manage.py compilemessages --ignore=node_modules --ignore=var \
    && DEBUG=false SECRET_KEY=build-only ALLOWED_HOSTS=localhost \
        python manage.py collectstatic --noinput

# Run as an unprivileged user, who may write only under var/ (uploaded media, beat schedule, and
# the static files, which compose's `migrate` collects again into the volume nginx serves).
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home app \
    && mkdir -p var/media var/mail \
    && chown app:app var var/media var/mail \
    && chown -R app:app var/staticfiles
USER app

EXPOSE 8000
CMD ["gunicorn", "participation.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "5", "--access-logfile", "-"]
