# Production image: gunicorn for the web, the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    IPPLAN_DATA_DIR=/data \
    IPPLAN_STATIC_MANIFEST=1

# libreoffice-writer-nogui: the importer converts .doc and .wps plans with LibreOffice headless
# (tasks/parser/convert.py); without it those two formats are refused.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext postgresql-client libreoffice-writer-nogui \
        gcc libldap2-dev libsasl2-dev \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /app ipplan

WORKDIR /app
COPY pyproject.toml requirements.lock README.md ./
COPY config config
COPY ipplan ipplan
COPY departments departments
COPY tasks tasks
COPY directory directory
RUN pip install --no-cache-dir -c requirements.lock .
COPY . .
# collectstatic needs no database or secrets; the key here is a throwaway for the build only.
RUN DJANGO_SECRET_KEY=build-only-not-used-at-runtime python manage.py collectstatic --noinput \
    && mkdir -p /data && chown -R ipplan /data

USER ipplan
EXPOSE 8000
CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "config.wsgi:application"]
