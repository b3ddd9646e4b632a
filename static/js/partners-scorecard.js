// Scorecard history chart: data comes from the json_script element (strict CSP, no inline code).
(function () {
  "use strict";
  function draw() {
    var canvas = document.getElementById("scorecard-chart");
    var source = document.getElementById("scorecard-data");
    if (!canvas || !source || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    new Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          { label: data.revenue_label, data: data.revenue.map(Number), yAxisID: "y", borderColor: "#0d6efd", tension: 0.2 },
          { label: data.certified_label, data: data.certified.map(Number), yAxisID: "y1", borderColor: "#198754", tension: 0.2 }
        ]
      },
      options: {
        maintainAspectRatio: false,
        animation: false,
        scales: {
          y: { beginAtZero: true, position: "left" },
          y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, ticks: { precision: 0 } }
        }
      }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
