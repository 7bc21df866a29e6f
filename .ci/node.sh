# Sourced by .ci/run: puts a Node.js that package.json's engines admits (22 or later) first on
# PATH. The machine's own node when it is one; otherwise Node 22 from the npm registry's
# node-<os>-<cpu> package (a plain binary, no install script), installed once into
# SAGA_CI_NODE_DIR (default: a folder under the system's temporary directory) and reused.
# npm itself is the machine's: its `#!/usr/bin/env node` then runs on the Node found first.

saga_node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

saga_use_node_22() {
    local minimum=22
    if [ "$(saga_node_major)" -ge "$minimum" ]; then return 0; fi
    local os cpu
    os=$(uname -s | tr '[:upper:]' '[:lower:]')
    case "$(uname -m)" in
        x86_64 | amd64) cpu=x64 ;;
        aarch64 | arm64) cpu=arm64 ;;
        *) echo ".ci/node.sh: no Node.js $minimum package for the CPU $(uname -m); install Node.js $minimum or later." >&2; return 1 ;;
    esac
    local package="node-$os-$cpu@$minimum"
    local dir="${SAGA_CI_NODE_DIR:-${TMPDIR:-/tmp}/saga-ci-node-$minimum-$os-$cpu}"
    local bin="$dir/node_modules/node-$os-$cpu/bin"
    if [ "$(saga_node_major "$bin/node")" -lt "$minimum" ]; then
        echo "Node.js $(node --version) is older than $minimum: installing $package from the npm registry into $dir"
        npm install --no-audit --no-fund --no-save --loglevel=error --prefix "$dir" "$package" >&2 || return 1
    fi
    if [ "$(saga_node_major "$bin/node")" -lt "$minimum" ]; then
        echo ".ci/node.sh: $package installed no Node.js $minimum or later at $bin/node." >&2
        return 1
    fi
    export PATH="$bin:$PATH"
}
