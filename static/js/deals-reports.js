// Deal reports chart: registrations, approvals and wins per month (data from json_script, strict CSP).
(function () {
  "use strict";
  var colours = ["#0d6efd", "#198754", "#fd7e14"];
  function draw() {
    var source = document.getElementById("deals-reports-data");
    var canvas = document.getElementById("deals-monthly-chart");
    if (!source || !canvas || typeof Chart === "undefined") { return; }
    var d = JSON.parse(source.textContent);
    new Chart(canvas, {
      type: "line",
      data: { labels: d.months, datasets: d.series.map(function (s, i) {
        return { label: s.label, data: s.counts, borderColor: colours[i % colours.length], tension: 0.2 };
      }) },
      options: { maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
