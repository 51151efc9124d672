// Progressive enhancement only: every page works without this file.
// 1. The live quote preview on "Post a task": refreshed from the server as the client types.
// 2. A task page's status: polled until the task reaches an end state.
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  function livePreview(form) {
    var target = document.getElementById("quote-preview");
    if (!target) return;
    var seq = 0;
    var refresh = debounce(function () {
      var params = new URLSearchParams(new FormData(form));
      params.delete("csrf_token");
      var mine = ++seq;
      fetch(form.dataset.previewUrl + "?" + params.toString(), {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) { if (mine === seq) target.innerHTML = html; })
        .catch(function () { /* keep the last preview; the button still works */ });
    }, 250);
    form.addEventListener("input", refresh);
    form.addEventListener("change", refresh);
  }

  function pollStatus(box) {
    var url = box.dataset.poll;
    if (!url) return;
    setTimeout(function () {
      fetch(url, {credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.firstElementChild;
          var was = box.querySelector("[data-status]").dataset.status;
          var now = fresh.querySelector("[data-status]").dataset.status;
          if (was !== now && (now === "completed" || now === "cancelled")) {
            window.location.reload();  // the review and cancel sections change too
            return;
          }
          box.replaceWith(fresh);
          pollStatus(fresh);
        })
        .catch(function () { pollStatus(box); });
    }, 2000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("task-form");
    if (form) livePreview(form);
    var box = document.getElementById("task-status");
    if (box) pollStatus(box);
  });
})();
