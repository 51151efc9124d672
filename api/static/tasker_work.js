// Progressive enhancement for a tasker's work page: the status box (status, timeline, pay and the
// conversation) is refreshed from the server while the task is live. Without this file the page
// works the same, and its "Refresh" link does the rest.
(function () {
  "use strict";

  function poll(box) {
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
          if (was !== now) {
            window.location.reload();  // the forms below change with the status
            return;
          }
          box.replaceWith(fresh);
          poll(fresh);
        })
        .catch(function (status) {
          if (status === 404 || status === 403) return;  // no longer yours: stop asking
          poll(box);
        });
    }, 3000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("work-status");
    if (box) poll(box);
  });
})();
