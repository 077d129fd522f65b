(function () {
  if (!window.EventSource) return;
  var source = new EventSource("/__birge/events");
  function overlay(text) {
    var box = document.getElementById("birge-problems");
    if (!text) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("pre");
      box.id = "birge-problems";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;left:0;right:0;bottom:0;max-height:60vh;overflow:auto;margin:0;padding:1rem 1.2rem;" +
        "background:#2b0b0b;color:#ffe9e9;font:13px/1.45 ui-monospace,monospace;white-space:pre-wrap;z-index:2147483647;border-top:4px solid #e5484d";
      document.body.appendChild(box);
    }
    box.textContent = text;
  }
  source.addEventListener("open", function () { document.documentElement.setAttribute("data-birge-live", ""); });
  source.addEventListener("reload", function () { location.reload(); });
  source.addEventListener("styles", function () {
    document.querySelectorAll('link[rel="stylesheet"]').forEach(function (link) {
      var url = new URL(link.href);
      url.searchParams.set("birge", Date.now());
      link.href = url.toString();
    });
    overlay(null);
  });
  source.addEventListener("problems", function (event) { overlay("birge: the last edit broke the build; still showing the last good site.\n\n" + event.data); });
  source.addEventListener("fixed", function () { overlay(null); });
})();
