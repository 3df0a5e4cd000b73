# Shared setup for the okxkit Bats tests: paths to the built tools and sample data.
load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash

: "${OKXKIT_SOURCE_DIR:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
: "${OKXKIT_BIN:=$OKXKIT_SOURCE_DIR/build/tools}"
# Absolute, so that tests that cd into their own folder still find the tools.
if [[ $OKXKIT_BIN != /* && -d $OKXKIT_BIN ]]; then
    OKXKIT_BIN=$(cd "$OKXKIT_BIN" && pwd)
fi
export OKXKIT_BIN
export PATH="$OKXKIT_BIN:$PATH"
SAMPLES=$OKXKIT_SOURCE_DIR/share/okxkit/samples
CORPUS=$OKXKIT_SOURCE_DIR/tests/cli/corpus
# Keep the user's own config and store out of the tests.
export XDG_CONFIG_HOME=$BATS_TEST_TMPDIR/xdg-config
export XDG_DATA_HOME=$BATS_TEST_TMPDIR/xdg-data
unset OKXKIT_CONFIG OKXKIT_STORE OKXKIT_RUN
