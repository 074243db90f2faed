// The page viewer: zoom, and moving between the boxed hits of this page without reloading it
// (a hit on another page is a link the server answers). No data comes from here: the boxes
// are in the page's HTML, drawn by SVG in the page image's own pixels.
(function () {
  "use strict";
  var sheet = document.getElementById("sheet");
  if (!sheet) return;
  var zoom = 1;
  function setZoom(value) {
    zoom = Math.min(4, Math.max(1, value));
    sheet.style.width = (zoom * 100) + "%";
  }
  document.querySelectorAll("[data-zoom]").forEach(function (button) {
    button.addEventListener("click", function () {
      var how = button.getAttribute("data-zoom");
      setZoom(how === "in" ? zoom * 1.5 : how === "out" ? zoom / 1.5 : 1);
    });
  });

  var rects = Array.prototype.slice.call(document.querySelectorAll("#boxes rect[data-hit]"));
  var now = document.getElementById("hit-now");
  var prev = document.getElementById("prev-hit");
  var next = document.getElementById("next-hit");
  var svg = document.getElementById("boxes");
  var current = 0;
  rects.forEach(function (r, i) { if (r.classList.contains("current")) current = i + 1; });

  function hrefFor(hit) {
    var url = new URL(window.location.href);
    url.searchParams.set("cho", String(hit));
    return url.pathname + url.search;
  }
  function show(hit) {
    rects.forEach(function (r, i) { r.classList.toggle("current", i + 1 === hit); });
    current = hit;
    if (now) now.textContent = String(hit);
    history.replaceState(null, "", hrefFor(hit));
    reveal(rects[hit - 1]);
    // The links go on from here: within the page by script, past its ends to the server.
    aim(prev, hit > 1 ? hrefFor(hit - 1) : svg.getAttribute("data-prev"));
    aim(next, hit < rects.length ? hrefFor(hit + 1) : svg.getAttribute("data-next"));
  }
  function aim(link, href) {
    if (!link) return;
    if (href) {
      link.setAttribute("href", href);
      link.removeAttribute("aria-disabled");
    } else {
      link.removeAttribute("href");
      link.setAttribute("aria-disabled", "true");
    }
  }
  function reveal(rect) {
    // Scroll the page's frame, not the window, so that the hit is in the middle of it.
    var stage = document.getElementById("stage");
    var box = rect.getBoundingClientRect();
    var frame = stage.getBoundingClientRect();
    stage.scrollTop += box.top - frame.top - (frame.height - box.height) / 2;
    stage.scrollLeft += box.left - frame.left - (frame.width - box.width) / 2;
  }
  [prev, next].forEach(function (link) {
    if (!link) return;
    link.addEventListener("click", function (event) {
      var target = current + Number(link.getAttribute("data-go"));
      if (!link.hasAttribute("href")) {
        event.preventDefault();
      } else if (target >= 1 && target <= rects.length) {
        event.preventDefault();
        show(target);
      }
    });
  });
  var image = document.getElementById("page-image");
  function first() { if (current) reveal(rects[current - 1]); }
  if (image && !image.complete) image.addEventListener("load", first); else first();
})();
