#!/usr/bin/env bash
# Regenerates the committed Swift code for the wire protocol:
#   Protos/reel/v1/farm.proto  ->  Sources/ReelWire/Generated/reel/v1/farm.pb.swift
#
# Only needed after editing a .proto. Builds and CI never run this: the generated
# file is committed, so neither protoc nor the Swift plugin is a build dependency
# (which is also why protobuf-compiler is not in install-deps.sh).
#
# Needs:
#   protoc            apt-get install protobuf-compiler   (3.21 or newer)
#   protoc-gen-swift  built from apple/swift-protobuf at the SAME version as
#                     Package.swift pins (1.39.0), outside this repository:
#       git clone https://github.com/apple/swift-protobuf /somewhere/swift-protobuf
#       cd /somewhere/swift-protobuf && git checkout 1.39.0
#       swift build -c release --product protoc-gen-swift
#     the plugin is then .build/release/protoc-gen-swift
#
# Usage:
#   Deploy/gen-protos.sh [--protoc PATH] [--plugin PATH]
# or set PROTOC and PROTOC_GEN_SWIFT. Defaults: protoc and protoc-gen-swift on PATH.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
protoc=${PROTOC:-}
plugin=${PROTOC_GEN_SWIFT:-}

while (($#)); do
    case $1 in
        --protoc) protoc=${2:?--protoc needs a path}; shift 2 ;;
        --plugin) plugin=${2:?--plugin needs a path}; shift 2 ;;
        -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "gen-protos: unknown argument '$1' (try --help)" >&2; exit 2 ;;
    esac
done

[[ -n $protoc ]] || protoc=$(command -v protoc || true)
[[ -n $plugin ]] || plugin=$(command -v protoc-gen-swift || true)

if [[ -z $protoc || ! -x $protoc ]]; then
    echo "gen-protos: protoc not found${protoc:+ at '$protoc'}." >&2
    echo "  install it (apt-get install protobuf-compiler) or pass --protoc PATH / set PROTOC." >&2
    exit 1
fi
if [[ -z $plugin || ! -x $plugin ]]; then
    echo "gen-protos: protoc-gen-swift not found${plugin:+ at '$plugin'}." >&2
    echo "  build it from apple/swift-protobuf 1.39.0 (see the top of this script)" >&2
    echo "  and pass --plugin PATH / set PROTOC_GEN_SWIFT." >&2
    exit 1
fi

plugin_version=$("$plugin" --version 2>/dev/null || true)
if [[ $plugin_version != *1.39.0* ]]; then
    echo "gen-protos: warning: '$plugin' reports '$plugin_version', Package.swift pins 1.39.0;" >&2
    echo "  generated code from another version may not compile against the runtime." >&2
fi

out="$root/Sources/ReelWire/Generated"
mkdir -p "$out"
"$protoc" \
    --plugin=protoc-gen-swift="$plugin" \
    --proto_path="$root/Protos" \
    --swift_out="$out" \
    --swift_opt=Visibility=Public \
    reel/v1/farm.proto
echo "gen-protos: wrote ${out#"$root"/}/" >&2
