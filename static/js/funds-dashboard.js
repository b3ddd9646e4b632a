// Fund reports chart: flows per quarter (data from json_script; strict CSP, no inline code).
(function () {
  "use strict";
  var colours = ["#0d6efd", "#20c997", "#fd7e14", "#6f42c1", "#198754", "#dc3545"];
  function draw() {
    var source = document.getElementById("funds-chart-data");
    var canvas = document.getElementById("funds-quarter-chart");
    if (!source || !canvas || typeof Chart === "undefined") { return; }
    var d = JSON.parse(source.textContent);
    new Chart(canvas, {
      type: "bar",
      data: { labels: d.labels, datasets: d.series.map(function (s, i) {
        return { label: s.label, data: s.values.map(Number), backgroundColor: colours[i % colours.length] };
      }) },
      options: { maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true } } }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
