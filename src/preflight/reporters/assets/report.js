(function () {
  "use strict";
  var doc = document;
  var root = doc.documentElement;
  var remoteOn = location.hash === "#remote-images";
  var HOLD = "data-pf-hold-";
  // a url() that is not data: stays unfetched until the reader asks for remote images
  var REMOTE_URL = /url\(\s*(?:"(?!\s*data:)[^"]*"|'(?!\s*data:)[^']*'|(?!\s*["']|\s*data:)[^)]*)\s*\)/gi;
  var MARK_CSS =
    "[data-pf-mark]{outline:4px dashed #a4001d!important;outline-offset:2px!important}" +
    "[data-pf-badge]{position:absolute!important;z-index:2147483647!important;background:#fff!important;" +
    "color:#1b1b1b!important;border:2px solid #1b1b1b!important;font:700 12px/1.3 system-ui,sans-serif!important;" +
    "padding:1px 5px!important;margin:0!important;white-space:nowrap!important}";
  var IMAGE_TAGS = { img: 1, input: 1, image: 1, table: 1, td: 1, th: 1, body: 1 };

  function $(selector, scope) { return (scope || doc).querySelector(selector); }
  function $$(selector, scope) { return Array.prototype.slice.call((scope || doc).querySelectorAll(selector)); }
  function say(section, text) {
    var out = $(".say", section);
    if (out) out.textContent = text;
  }

  // -- previews: built when their part of the page is shown ----------------------------
  var waiting = new WeakMap();

  function render(preview, then) {
    if (then) {
      if (preview.getAttribute("data-state") === "ready") { then(preview.querySelector("iframe")); return; }
      var list = waiting.get(preview) || [];
      list.push(then);
      waiting.set(preview, list);
    }
    if (preview.hasAttribute("data-state")) return;
    var data = doc.getElementById(preview.getAttribute("data-pv"));
    if (!data) return;
    preview.setAttribute("data-state", "loading");
    var frame = doc.createElement("iframe");
    frame.setAttribute("sandbox", "allow-same-origin"); // never allow-scripts
    frame.setAttribute("title", preview.getAttribute("data-title"));
    frame.addEventListener("load", function () {
      prepare(frame);
      preview.setAttribute("data-state", "ready");
      if (!root.hasAttribute("data-first-preview")) {
        root.setAttribute("data-first-preview", String(Math.round(performance.now())));
      }
      var list = waiting.get(preview) || [];
      waiting.delete(preview);
      list.forEach(function (fn) { fn(frame); });
    });
    frame.srcdoc = JSON.parse(data.textContent);
    preview.replaceChildren(frame);
  }

  function prepare(frame) {
    var d = frame.contentDocument, w = frame.contentWindow;
    if (!d || !d.documentElement) return;
    // The page's policy admits only its own styles; the email's are applied here, through
    // the CSSOM, with remote url()s left out until the reader asks for remote images.
    var css = [];
    $$("style", d).forEach(function (style) {
      var media = style.getAttribute("media");
      css.push(media ? "@media " + media + "{" + style.textContent + "}" : style.textContent);
    });
    var sheetText = css.join("\n");
    if (!remoteOn) sheetText = sheetText.replace(REMOTE_URL, "none");
    try {
      var sheet = new w.CSSStyleSheet();
      sheet.replaceSync(sheetText);
      var marks = new w.CSSStyleSheet();
      marks.replaceSync(MARK_CSS);
      d.adoptedStyleSheets = [sheet, marks];
    } catch (error) { /* a browser without constructable sheets shows the email unstyled */ }
    $$("[style]", d).forEach(function (element) {
      var value = element.getAttribute("style");
      element.style.cssText = remoteOn ? value : value.replace(REMOTE_URL, "none");
    });
    if (remoteOn) restoreImages(d);
    // links in a preview go nowhere: the report is read, not browsed from
    d.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[href], area[href]");
      if (link) event.preventDefault();
    }, true);
    fit(frame);
  }

  function restoreImages(d) {
    ["src", "srcset", "background"].forEach(function (name) {
      $$("[" + HOLD + name + "]", d).forEach(function (element) {
        var tag = element.localName;
        if (!IMAGE_TAGS[tag] && !(tag === "source" && element.parentNode && element.parentNode.localName === "picture")) return;
        if (tag === "input" && (element.getAttribute("type") || "").toLowerCase() !== "image") return;
        element.setAttribute(name, element.getAttribute(HOLD + name));
        element.removeAttribute(HOLD + name);
      });
    });
  }

  function fit(frame) {
    var d = frame.contentDocument;
    if (!d || !d.documentElement) return;
    var height = Math.max(d.documentElement.scrollHeight, d.body ? d.body.scrollHeight : 0);
    frame.style.height = Math.min(Math.max(height + 4, 120), 2400) + "px";
  }

  var observer = "IntersectionObserver" in window ? new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) {
        observer.unobserve(entry.target);
        render(entry.target);
      }
    });
  }, { rootMargin: "400px 0px" }) : null;
  var observed = new WeakSet();
  function observeNew() {  // the previews parsed so far
    if (!observer) return;
    $$(".preview[data-pv]").forEach(function (preview) {
      if (!observed.has(preview)) {
        observed.add(preview);
        observer.observe(preview);
      }
    });
  }
  observeNew();

  // -- marking what a problem is about -------------------------------------------------
  function clearMarks(section) {
    $$("li.f.active", section).forEach(function (li) { li.classList.remove("active"); });
    $$(".marked", section).forEach(function (el) { el.classList.remove("marked"); });
    $$("svg .hl", section).forEach(function (el) { el.classList.remove("hl"); });
  }

  function markElement(frame, index, rule, section) {
    var d = frame.contentDocument;
    $$("[data-pf-mark]", d).forEach(function (el) { el.removeAttribute("data-pf-mark"); });
    $$("[data-pf-badge]", d).forEach(function (el) { el.remove(); });
    var element = d.querySelector('[data-pf="' + index + '"]');
    if (!element) { say(section, "The problem's element is not in the preview."); return; }
    element.setAttribute("data-pf-mark", rule);
    var name = "<" + element.localName + ">";
    if (!element.getClientRects().length) {
      say(section, "Marked " + name + " for " + rule + ", but it is not visible in the preview.");
      return;
    }
    var box = element.getBoundingClientRect();
    var badge = d.createElement("span");
    badge.setAttribute("data-pf-badge", "");
    badge.textContent = "▶ " + rule;
    badge.style.top = Math.max(0, box.top + (d.defaultView.scrollY || 0) - 22) + "px";
    badge.style.left = Math.max(0, box.left + (d.defaultView.scrollX || 0)) + "px";
    (d.body || d.documentElement).appendChild(badge);
    var frameBox = frame.getBoundingClientRect();
    window.scrollTo({ top: window.scrollY + frameBox.top + box.top - 120, behavior: "auto" });
    say(section, "Marked " + name + " in the preview for " + rule + " (outlined, labelled " + rule + ").");
  }

  function mark(li) {
    var section = li.closest("section.file");
    if (!section) return;
    clearMarks(section);
    li.classList.add("active");
    var rule = li.getAttribute("data-rule");
    var part = li.getAttribute("data-part");
    if (li.hasAttribute("data-el")) {
      var preview = $(".preview[data-pv]", section);
      if (preview) {
        say(section, "Opening the preview…");
        render(preview, function (frame) { markElement(frame, li.getAttribute("data-el"), rule, section); });
        return;
      }
    }
    if (part === "subject" || part === "preheader") {
      var line = $(".inbox ." + (part === "subject" ? "subj" : "pre"), section);
      if (line) {
        line.classList.add("marked");
        say(section, "Marked the " + part + " in the inbox view for " + rule + ".");
        return;
      }
    }
    var steps = li.getAttribute("data-steps");
    if (steps) {
      var named = JSON.parse(steps), path = JSON.parse(li.getAttribute("data-path") || "[]");
      var svg = $("svg.wf", section);
      if (svg) {
        $$("g.step", svg).forEach(function (g) {
          if (named.indexOf(g.getAttribute("data-step")) !== -1) g.classList.add("hl");
        });
        $$("g.edge", svg).forEach(function (g) {
          for (var i = 0; i < path.length; i++) {
            if (path[i][0] === g.getAttribute("data-from") && path[i][1] === g.getAttribute("data-to")) g.classList.add("hl");
          }
        });
        say(section, "Marked " + (path.length ? "the path " : "") + named.join(" → ") + " in the drawing for " + rule + " (thick outline).");
        return;
      }
    }
    if (part === "text") {
      var text = $("details.textpart", section);
      if (text) text.open = true;
    }
    say(section, "This problem has no element to mark (" + ($(".where", li) ? $(".where", li).textContent : "whole file") + ").");
  }

  doc.addEventListener("click", function (event) {
    var head = event.target.closest && event.target.closest(".f-head");
    if (head) { mark(head.closest("li.f")); return; }
    var show = event.target.closest && event.target.closest("button.show");
    if (show) { render(show.closest(".preview")); return; }
    var remote = event.target.closest && event.target.closest("button.remote-toggle");
    if (remote) {
      if (remoteOn) location.href = location.href.split("#")[0];
      else { location.hash = "remote-images"; location.reload(); }
    }
  });

  // -- filters and search ----------------------------------------------------------------
  // Until the page is read whole the lists are taken afresh; then once, for good.
  var whole = false, findingList = null, sectionList = null;
  function findings() { return findingList || $$("li.f"); }
  function sections() { return sectionList || $$("section.file"); }
  var search = $("#q");
  var texts = null;
  var status = $("#status");
  var filtering = false;

  function applyFilters() {
    var severities = {}, families = {};
    $$("input[data-sev]").forEach(function (box) { severities[box.getAttribute("data-sev")] = box.checked; });
    $$("input[data-fam]").forEach(function (box) { families[box.getAttribute("data-fam")] = box.checked; });
    var query = search ? search.value.trim().toLowerCase() : "";
    var list = findings();
    if (query && (!texts || texts.length !== list.length)) {
      texts = list.map(function (li) { return li.textContent.toLowerCase(); });
    }
    filtering = !!query || Object.keys(severities).some(function (k) { return !severities[k]; }) ||
      Object.keys(families).some(function (k) { return !families[k]; });
    var shown = 0;
    list.forEach(function (li, i) {
      var visible = severities[li.getAttribute("data-sev")] !== false &&
        families[li.getAttribute("data-fam")] !== false && (!query || texts[i].indexOf(query) !== -1);
      li.hidden = !visible;
      if (visible) shown++;
    });
    sections().forEach(function (section) {
      section.hidden = filtering && !section.querySelector("li.f:not([hidden])");
    });
    if (status) {
      var of = whole ? "" : " read so far";
      status.textContent = filtering
        ? "Showing " + shown + " of " + list.length + " problems" + of + "."
        : "Showing all " + list.length + " problems" + of + ".";
    }
  }
  $$("nav.controls input[type=checkbox]").forEach(function (box) { box.addEventListener("change", applyFilters); });
  var timer = 0;
  if (search) {
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(applyFilters, 120);
    });
  }

  // -- keyboard ----------------------------------------------------------------------------
  function visibleFindings() {
    return findings().filter(function (li) {
      return !li.hidden && !li.closest("section.file").hidden && li.getClientRects().length;
    });
  }
  doc.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var typing = /^(TEXTAREA|SELECT)$/.test(target.tagName) || target.isContentEditable ||
      (target.tagName === "INPUT" && !/^(checkbox|radio|button|submit|reset)$/.test(target.type));
    if (typing) {
      if (event.key === "Escape" && target === search) {
        search.value = "";
        applyFilters();
        search.blur();
      }
      return;
    }
    if (event.key === "/") {
      event.preventDefault();
      if (search) search.focus();
    } else if (event.key === "j" || event.key === "k") {
      var list = visibleFindings();
      if (!list.length) return;
      var current = doc.activeElement && doc.activeElement.closest ? doc.activeElement.closest("li.f") : null;
      var at = current ? list.indexOf(current) : -1;
      var next = event.key === "j" ? Math.min(at + 1, list.length - 1) : Math.max(at - 1, 0);
      var button = $(".f-head", list[next]);
      button.focus({ preventScroll: true });
      list[next].scrollIntoView({ block: "center" });
      event.preventDefault();
    }
  });

  // -- printing: the text parts open ---------------------------------------------------
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = $$("details:not([open])");
    opened.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });

  function labelRemote() {
    $$("button.remote-toggle").forEach(function (button) {
      button.textContent = remoteOn ? "Hide remote images" : "Show remote images";
      button.setAttribute("aria-pressed", remoteOn ? "true" : "false");
    });
  }
  labelRemote();
  if (status) status.textContent = "Reading the rest of the report…";
  root.setAttribute("data-first-screen", String(Math.round(performance.now())));

  function read() {  // the whole page is parsed: the later sections join in
    observeNew();
    labelRemote();
    findingList = $$("li.f");
    sectionList = $$("section.file");
    whole = true;
    texts = null;
    applyFilters();
    root.setAttribute("data-ready", String(Math.round(performance.now())));
  }
  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", read);
  else read();
})();
