# Payground for a shared (workshop) deployment: PostgreSQL + Redis, see docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# Only what the wheel is built from (the lessons too: `payground tutorial`): never the
# project's .env, database or virtualenv, nor the files a lesson followed here left keys in
# (.env, other.env, .env.XXXX: .dockerignore).
COPY pyproject.toml README.md ./
COPY app ./app
COPY tutorials ./tutorials
RUN pip install ".[postgres,redis]"

# Run as an unprivileged user; /data is PAYGROUND_HOME (SQLite file and key pepper when no
# database URL or PAYGROUND_SECRET is given).
RUN useradd --create-home --uid 10001 payground \
    && mkdir /data \
    && chown payground:payground /data
USER payground
WORKDIR /data
ENV PAYGROUND_HOME=/data
VOLUME ["/data"]

EXPOSE 4242
CMD ["payground", "serve", "--host", "0.0.0.0", "--port", "4242"]
