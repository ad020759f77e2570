# idv-slack-bot: the bot alone. The database lives on the /data volume; settings come from the environment
# (docker run --env-file, or compose's env_file): no secret is ever part of the image.
#
# The base image is pinned by digest: the multi-platform index of python:3.11-slim-bookworm as public projects pin
# it in 2026-10. UNCONFIRMED here (no container registry is reachable from where this was written): before a
# release, `docker buildx imagetools inspect python:3.11-slim-bookworm` gives the current digest to put below.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
# Every dependency from the lock, each file checked against its hash (deploy/relock regenerates both locks).
COPY requirements.lock deploy/build-requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r build-requirements.lock \
    && pip install --no-cache-dir --require-hashes --prefix=/install -r requirements.lock
COPY pyproject.toml README.md LICENSE manifest.yml ./
COPY bot ./bot
COPY storage ./storage
# The production image leaves out the stand-ins (and their demo tokens), the demo and the benchmark: JUMIO_SANDBOX
# and `idv-bot demo` say so there and exit 2.
COPY deploy/production-excludes.txt ./
RUN xargs rm -rf < production-excludes.txt \
    && pip install --no-cache-dir --no-deps --no-build-isolation --prefix=/install .

FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 idv \
    && useradd --system --uid 10001 --gid idv --home-dir /data --no-create-home --shell /usr/sbin/nologin idv \
    && mkdir /data && chown idv:idv /data && chmod 0700 /data
COPY --from=build /install /usr/local
ENV IDV_DATABASE=/data/idv.sqlite3 \
    PORT=3000 \
    HOST=0.0.0.0 \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
VOLUME ["/data"]
WORKDIR /data
USER 10001:10001
EXPOSE 3000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["idv-bot", "healthcheck"]
ENTRYPOINT ["idv-bot"]
CMD ["run"]
