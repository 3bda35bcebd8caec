#!/usr/bin/env bash
# Entrypoint of the kit's Airflow containers (docker/Dockerfile).
#
# The Google Sheets connection holds a service-account key that kit-services makes at every
# start (nothing to commit, nothing in .env). kit-services writes it to LABKIT_SHARED_ENV_FILE
# on a volume every Airflow container mounts; this script waits for that file (at most
# LABKIT_SHARED_ENV_WAIT seconds), exports what it holds, then runs the official entrypoint.
# LABKIT_SHARED_ENV_FILE unset or empty: nothing to wait for (a plain `docker run`).
set -euo pipefail

file="${LABKIT_SHARED_ENV_FILE:-}"
if [[ -n "${file}" ]]; then
    wait_s="${LABKIT_SHARED_ENV_WAIT:-120}"
    waited=0
    until [[ -r "${file}" ]]; do
        if (( waited >= wait_s )); then
            echo "kit-entrypoint: ${file} did not appear within ${wait_s} s." >&2
            echo "  kit-services writes it at start: is it running? See 'docker compose ps kit-services'" >&2
            echo "  and 'docker compose logs kit-services'." >&2
            exit 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
    set -a  # export every NAME=value the file sets
    # shellcheck source=/dev/null
    source "${file}"
    set +a
fi

exec /usr/bin/dumb-init -- /entrypoint "$@"
