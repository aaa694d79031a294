# xensocial in a container: the daemon as a non-root user, its SQLite state on a volume.
#
#   docker build -t xensocial .
#   docker run -d --name xensocial -v xensocial-data:/data xensocial
#   docker exec xensocial xensocial queue add https://xenproject.org/ --title "Xen"
#   docker run -d -v xensocial-data:/data -v $PWD/xensocial.toml:/etc/xensocial/xensocial.toml:ro \
#       -e XENSOCIAL_CONFIG=/etc/xensocial/xensocial.toml xensocial
#
# Secrets: mount them as files (Docker secrets appear under /run/secrets/NAME) and refer to
# them as "file:/run/secrets/NAME" in the configuration, or pass environment variables and use
# "env:NAME". Give a secret file to the daemon's user alone (uid 10001, mode 0400): one other
# users can read draws a warning at every start. The state folder /data is the user's alone. This image is not built in CI (no Docker engine there); tests/packaging checks it.

# -- build: the wheel, from the source tree --------------------------------------------------
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir "hatchling>=1.21"
COPY pyproject.toml README.md ./
COPY xensocial ./xensocial
COPY content_queue ./content_queue
COPY migrations ./migrations
COPY config ./config
RUN pip wheel --no-cache-dir --no-deps --no-build-isolation --wheel-dir /wheels .

# -- run: the wheel and its dependencies, nothing else ---------------------------------------
FROM python:3.11-slim
# The PDF report (WeasyPrint) lays out text with Pango, a system library, and needs a font.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir "$(ls /wheels/xensocial-*.whl)[postgres]" \
    && rm -rf /wheels \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin xensocial \
    && mkdir -p /data \
    && chown xensocial:xensocial /data \
    && chmod 700 /data

ENV XENSOCIAL_DATA_DIR=/data \
    PYTHONUNBUFFERED=1
VOLUME /data
WORKDIR /data
USER xensocial

# `xensocial health` exits 0 healthy, 1 unhealthy (its database refuses writes, its last slots
# crashed, its heartbeat is stale), 2 misconfigured; Docker reserves 2, so every failure is 1.
HEALTHCHECK --interval=60s --timeout=10s --start-period=30s --retries=3 \
    CMD ["sh", "-c", "xensocial health || exit 1"]
STOPSIGNAL SIGTERM
CMD ["xensocial", "run"]
