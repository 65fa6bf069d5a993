// Ask form: similar questions while typing the title, live markdown preview.
// The form works fully without this script (the Preview button).
(function () {
  "use strict";
  var form = document.getElementById("ask-form");
  if (!form) { return; }
  var title = form.querySelector("#title");
  var body = form.querySelector("#body");
  var csrf = form.querySelector("input[name=csrf]").value;
  var similar = document.getElementById("similar");
  var preview = document.getElementById("preview-box");

  function debounce(fn, ms) {
    var timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  function showSimilar(data) {
    var list = document.createElement("ul");
    list.className = "suggestions";
    data.results.forEach(function (r) {
      var item = document.createElement("li");
      var kind = document.createElement("span");
      kind.className = "kind";
      kind.textContent = r.kind_label + " ";
      var link = document.createElement("a");
      link.href = r.url;
      // title_html is escaped on the server; only <mark> tags remain.
      link.innerHTML = r.title_html;
      item.appendChild(kind);
      item.appendChild(link);
      if (r.solved) {
        var solved = document.createElement("span");
        solved.className = "solved";
        solved.textContent = " \u2713 solved";
        item.appendChild(solved);
      }
      list.appendChild(item);
    });
    var heading = similar.querySelector("h2");
    similar.innerHTML = "";
    similar.appendChild(heading);
    if (data.results.length) { similar.appendChild(list); }
    else {
      var p = document.createElement("p");
      p.className = "hint";
      p.textContent = "Nothing similar yet: you may be the first to ask.";
      similar.appendChild(p);
    }
  }

  title.addEventListener("input", debounce(function () {
    var q = title.value.trim();
    if (q.length < 3) { return; }
    fetch("/api/suggest?q=" + encodeURIComponent(q), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { showSimilar(data); } })
      .catch(function () {});
  }, 300));

  body.addEventListener("input", debounce(function () {
    var data = new URLSearchParams();
    data.append("csrf", csrf);
    data.append("body", body.value);
    fetch("/api/preview", { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, d: d }; }); })
      .then(function (x) {
        if (x.ok) { preview.innerHTML = x.d.html; return; }
        // Too long, or too many previews: say so instead of a stale preview.
        var p = document.createElement("p");
        p.className = "hint";
        p.textContent = x.d.error || "The preview is not available right now.";
        preview.innerHTML = "";
        preview.appendChild(p);
      })
      .catch(function () {});
  }, 400));
})();
