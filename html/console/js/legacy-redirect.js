// SRS links its console as /console/en_index.html#/summaries?port=1985 (ng_index.html for Chinese).
// tsrs has one console: carry the query (also the one inside the hash) over to index.html.
(function () {
  var hash = location.hash;
  var q = hash.indexOf('?');
  var params = new URLSearchParams(location.search);
  if (q >= 0) new URLSearchParams(hash.slice(q + 1)).forEach(function (v, k) { params.set(k, v); });
  var route = /^#\/[a-z]+/.exec(hash);
  var query = params.toString();
  location.replace('index.html' + (query ? '?' + query : '') + (route ? route[0] : ''));
})();
