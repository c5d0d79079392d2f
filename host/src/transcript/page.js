(function () {
  "use strict";
  var fmt = {
    t: { hour: "2-digit", minute: "2-digit" },
    T: { hour: "2-digit", minute: "2-digit", second: "2-digit" },
    d: { year: "numeric", month: "2-digit", day: "2-digit" },
    D: { year: "numeric", month: "long", day: "numeric" },
    f: { year: "numeric", month: "long", day: "numeric", hour: "2-digit", minute: "2-digit" },
    F: { weekday: "long", year: "numeric", month: "long", day: "numeric", hour: "2-digit", minute: "2-digit" }
  };
  var rel = typeof Intl.RelativeTimeFormat === "function" ? new Intl.RelativeTimeFormat(document.documentElement.lang || undefined, { numeric: "auto" }) : null;
  function relative(date) {
    var s = (date.getTime() - Date.now()) / 1000, units = [["year", 31536000], ["month", 2592000], ["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
    for (var i = 0; i < units.length; i++) {
      if (Math.abs(s) >= units[i][1] || units[i][0] === "second") { return rel.format(Math.round(s / units[i][1]), units[i][0]); }
    }
  }
  document.querySelectorAll("time[datetime]").forEach(function (el) {
    var date = new Date(el.getAttribute("datetime"));
    if (isNaN(date)) { return; }
    var style = el.getAttribute("data-style") || "f";
    el.title = date.toString();
    el.textContent = style === "R" && rel ? relative(date) : date.toLocaleString(document.documentElement.lang || undefined, fmt[style] || fmt.f);
  });
  var input = document.getElementById("search"), hits = document.getElementById("hits");
  var messages = Array.prototype.slice.call(document.querySelectorAll("article.msg"));
  input.addEventListener("input", function () {
    var q = input.value.trim().toLowerCase(), n = 0, first = null;
    messages.forEach(function (m) {
      var match = q !== "" && m.textContent.toLowerCase().indexOf(q) !== -1;
      m.classList.toggle("hit", match);
      m.classList.toggle("hidden", q !== "" && !match);
      if (match) { n++; first = first || m; }
    });
    hits.textContent = q === "" ? "" : String(n);
    if (first) { first.scrollIntoView({ block: "nearest" }); }
  });
  var root = document.documentElement, order = ["auto", "dark", "light"];
  document.getElementById("theme").addEventListener("click", function () {
    var now = root.getAttribute("data-theme") || "auto", next = order[(order.indexOf(now) + 1) % order.length];
    if (next === "auto") { root.removeAttribute("data-theme"); } else { root.setAttribute("data-theme", next); }
  });
})();
