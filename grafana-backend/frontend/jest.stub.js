// Stands in for style sheets and for react-inlinesvg, whose icons jsdom cannot fetch (the fetch
// would only print act() warnings).
function Stub() {
  return null;
}
module.exports = Stub;
module.exports.default = Stub;
