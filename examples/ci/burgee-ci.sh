#!/bin/sh
# Flags as code in any CI: the steps of github-actions.yml as plain shell.
#
#   burgee-ci.sh check    on a pull request: validate the flag document, and show what merging
#                         it would change in the running store (when BURGEE_URL is set)
#   burgee-ci.sh deploy   on merge: push it, with the change preview; a push that flips more
#                         than BURGEE_MAX_FLIP percent of a sample of contexts is refused
#                         (exit 1) and waits for a person (run it again with BURGEE_MAX_FLIP=100)
#
# Variables: FLAGS_FILE (default flags/flags.json), BURGEE_URL (the store's origin),
# BURGEE_TOKEN (an editor's token: a CI secret, never an argument), BURGEE_MAX_FLIP (default
# 10), BURGEE (the command; default `npx --yes burgee`, the npm package, no Rust needed).
# Exit codes are burgee's: 0 done or nothing to do, 1 refused, 2 usage, file or network error.
set -eu

FLAGS_FILE=${FLAGS_FILE:-flags/flags.json}
BURGEE=${BURGEE:-npx --yes burgee}
BURGEE_MAX_FLIP=${BURGEE_MAX_FLIP:-10}

case "${1:-}" in
  check)
    $BURGEE validate "$FLAGS_FILE"
    if [ -n "${BURGEE_URL:-}" ]; then
      $BURGEE diff "$FLAGS_FILE" --url "$BURGEE_URL"
    fi
    ;;
  deploy)
    : "${BURGEE_URL:?set BURGEE_URL to the store's origin}"
    $BURGEE push "$FLAGS_FILE" --url "$BURGEE_URL" --max-flip "$BURGEE_MAX_FLIP" \
      --reason "${BURGEE_REASON:-pushed by CI}"
    ;;
  *)
    echo "usage: $0 check|deploy" >&2
    exit 2
    ;;
esac
