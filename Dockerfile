# idv-slack-bot: the bot alone. The database lives on the /data volume; settings come from the environment
# (docker run --env-file, or compose's env_file): no secret is ever part of the image.
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE manifest.yml ./
COPY bot ./bot
COPY storage ./storage
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim-bookworm
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
