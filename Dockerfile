# Inspraak in a container: Daphne on port 8000, static files collected at build.
#   docker build -t inspraak .
# compose.yaml runs it behind nginx with PostgreSQL and Redis; docs/deploy.md has the
# rest. Without nginx in front, whitenoise serves the static files itself.
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# pg_dump and psql for "manage.py backup" and restoring on PostgreSQL (Debian 12's
# client is version 15, as compose.yaml's server).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 inspraak \
    && useradd --system --uid 10001 --gid inspraak --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin inspraak

WORKDIR /app

# The dependencies first, in a layer of their own that a code change does not rebuild.
# The code itself runs from /app (templates, static and locale live beside it).
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .

ENV STATIC_ROOT=/var/www/inspraak/static \
    MEDIA_ROOT=/var/lib/inspraak/media \
    SQLITE_PATH=/var/lib/inspraak/db.sqlite3

# Settings refuse to load without SECRET_KEY; collectstatic needs no real one.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput -v0 \
    && python -m compileall -q config sessions_app realtime printables bench \
    && mkdir -p /var/lib/inspraak/media \
    && chown -R inspraak:inspraak /var/lib/inspraak /var/www/inspraak

USER inspraak
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "deploy/healthcheck.py", "http://127.0.0.1:8000/healthz"]

# As deploy/systemd/inspraak-daphne@.service, but on all of the container's addresses
# (nginx reaches it over the compose network; never publish this port).
CMD ["daphne", "--proxy-headers", "-v", "0", "--websocket_connect_timeout", "60", \
     "-e", "tcp:port=8000:interface=0.0.0.0:backlog=2048", "config.asgi:application"]
