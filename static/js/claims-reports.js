// Claim reports chart: rejection and adjustment reasons per month (data from json_script, strict CSP).
(function () {
  "use strict";
  var colours = ["#dc3545", "#fd7e14", "#ffc107", "#198754", "#0dcaf0", "#0d6efd", "#6610f2", "#d63384",
                 "#6c757d", "#20c997", "#6f42c1", "#adb5bd", "#343a40", "#795548", "#9c27b0", "#3f51b5"];
  function draw() {
    var source = document.getElementById("claims-chart-data");
    var canvas = document.getElementById("claims-reasons-chart");
    if (!source || !canvas || typeof Chart === "undefined") { return; }
    var d = JSON.parse(source.textContent);
    new Chart(canvas, {
      type: "bar",
      data: { labels: d.months, datasets: d.series.map(function (s, i) {
        return { label: s.code, data: s.counts, backgroundColor: colours[i % colours.length] };
      }) },
      options: { maintainAspectRatio: false, animation: false,
                 scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
