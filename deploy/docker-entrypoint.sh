#!/bin/sh
# townhall-bot container entrypoint.
#   no arguments: run the bot, webhook mode if TOWNHALL_WEBHOOK_URL is set, else long polling;
#                 /healthz is served on TOWNHALL_PORT (default 8443) in both modes.
#   arguments:    run them instead, e.g. `townhall-bot check`, `townhall-bot restore /backup/x.db`.
set -eu

if [ "$#" -gt 0 ]; then
    exec "$@"
fi

port="${TOWNHALL_PORT:-8443}"
if [ -n "${TOWNHALL_WEBHOOK_URL:-}" ]; then
    # 0.0.0.0 inside the container, so that `-p 127.0.0.1:8443:8443` reaches it; keep the
    # published port on the host's loopback, behind the TLS reverse proxy.
    exec townhall-bot run --listen 0.0.0.0 --port "$port"
fi
# Polling needs no inbound port; /healthz on the container's own loopback, for HEALTHCHECK.
exec townhall-bot run --health-port "$port"
