/* Static explorers of the pwgf book (pwgf_viz/static_explorer.py): when a control of a
 * <div class="pwgf-static-explorer"> changes, show the picture precomputed for the chosen
 * settings (its src, alt text and caption). No kernel, no network: the pictures are in the
 * page, in the explorer's <script type="application/json" class="pwgf-static-data">.
 * Jupyter Book adds every .js file of _static/ to every page. */
(function () {
  "use strict";

  function valueOf(root, setting) {
    var el = root.querySelector('[data-setting="' + setting + '"]');
    if (!el) { return null; }
    if (el.tagName === "INPUT" && el.type === "range") {
      return JSON.parse(el.getAttribute("data-values"))[Number(el.value)];
    }
    if (el.tagName === "SELECT") { return el.value; }
    var checked = el.querySelector("input[type=radio]:checked");
    return checked ? checked.value : null;
  }

  function show(root, data) {
    var key = data.settings.map(function (s) { return valueOf(root, s); }).join("|");
    var entry = data.table[key];
    if (!entry) { return; }
    var img = root.querySelector("img.pwgf-static-image");
    img.src = data.images[entry[0]];
    img.alt = entry[1];
    img.setAttribute("data-key", key);
    root.querySelector(".pwgf-static-summary small").textContent = entry[2];
    root.querySelectorAll("input[type=range][data-values]").forEach(function (el) {
      var text = JSON.parse(el.getAttribute("data-names"))[Number(el.value)];
      el.setAttribute("aria-valuetext", text);
      var out = root.querySelector('output[for="' + el.id + '"]');
      if (out) { out.textContent = text; }
    });
  }

  function setup(root) {
    var script = root.querySelector("script.pwgf-static-data");
    if (!script || root.getAttribute("data-ready")) { return; }
    var data = JSON.parse(script.textContent);
    var update = function () { show(root, data); };
    root.addEventListener("input", update);
    root.addEventListener("change", update);
    update();  // the browser may restore a control's state on reload
    root.setAttribute("data-ready", "true");
  }

  function setupAll() {
    document.querySelectorAll(".pwgf-static-explorer").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setupAll);
  } else {
    setupAll();
  }
})();
