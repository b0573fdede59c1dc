// Node's own dynamic import, for the bundles the harness runs: code vitest evaluates cannot import() natively.
module.exports = (url) => import(url);
