#!/usr/bin/env bash
# Refresh the JavaScript the project vendors from the npm registry (nothing is fetched at
# run time or from a CDN). Each package is pinned by version AND by the registry's sha512
# integrity; bump both together, run this script, and commit the result.
#   temml     -> service/src/nntrace_service/static/explorer/vendor/temml/  (served: renders
#                the activation formulas as MathML, under the strict CSP)
#   axe-core  -> tests/explorer/vendor/axe-core/  (tests only: accessibility checks)
# Needs npm (Debian: apt-get install npm) and network access to the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."

fetch() {  # name version integrity destination files...
    local name=$1 version=$2 integrity=$3 dest=$4
    shift 4
    local work
    work=$(mktemp -d)
    (cd "$work" && npm pack --silent "$name@$version" >/dev/null)
    local tarball=("$work"/*.tgz)
    local actual
    actual="sha512-$(openssl dgst -sha512 -binary "${tarball[0]}" | base64 -w0)"
    if [ "$actual" != "$integrity" ]; then
        echo "integrity mismatch for $name@$version: $actual" >&2
        exit 1
    fi
    tar xzf "${tarball[0]}" -C "$work"
    rm -rf "$dest"
    mkdir -p "$dest"
    for file in "$@"; do cp "$work/package/$file" "$dest/"; done
    printf '%s@%s\n%s\nhttps://www.npmjs.com/package/%s/v/%s\n' \
        "$name" "$version" "$integrity" "$name" "$version" > "$dest/VERSION"
    rm -rf "$work"
    echo "vendored $name@$version into $dest"
}

fetch temml 0.13.5 \
    "sha512-aPkDDgunanpLNL0ql32HbolqLep+w8DRcVXRql7rWrMt/PhczdLgL4UBYYVU3BYjCNjkGq4EqwIicu/zWr1iOg==" \
    service/src/nntrace_service/static/explorer/vendor/temml \
    dist/temml.min.js LICENSE

fetch axe-core 4.14.1 \
    "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==" \
    tests/explorer/vendor/axe-core \
    axe.min.js LICENSE
