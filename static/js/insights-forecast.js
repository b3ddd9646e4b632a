// Forecast charts: data from the json_script element (strict CSP, no inline code). Amounts arrive
// as strings rounded to the currency's minor unit; Number() only for drawing.
(function () {
  "use strict";
  function num(values) { return (values || []).map(function (v) { return v === null ? null : Number(v); }); }
  function draw() {
    var source = document.getElementById("insights-forecast-data");
    if (!source || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var pipeline = document.getElementById("insights-pipeline-chart");
    if (pipeline && data.pipeline.labels.length) {
      new Chart(pipeline, {
        type: "bar",
        data: {
          labels: data.pipeline.labels,
          datasets: [
            { label: data.pipeline.weighted_label, data: num(data.pipeline.weighted), backgroundColor: "#0d6efd" },
            { label: data.pipeline.total_label, data: num(data.pipeline.total), backgroundColor: "#adb5bd" }
          ]
        },
        options: { maintainAspectRatio: false, animation: false, scales: { y: { beginAtZero: true } } }
      });
    }
    var sellout = document.getElementById("insights-sellout-chart");
    if (sellout && data.sell_out.labels.length) {
      var s = data.sell_out;
      new Chart(sellout, {
        type: "line",
        data: {
          labels: s.labels,
          datasets: [
            { label: s.band_label, data: num(s.upper), borderColor: "rgba(13,110,253,0.2)", backgroundColor: "rgba(13,110,253,0.15)", pointRadius: 0, fill: "+1" },
            { label: s.band_label, data: num(s.lower), borderColor: "rgba(13,110,253,0.2)", pointRadius: 0, fill: false },
            { label: s.forecast_label, data: num(s.forecast), borderColor: "#0d6efd", borderDash: [6, 4], fill: false },
            { label: s.actual_label, data: num(s.actual), borderColor: "#212529", fill: false }
          ]
        },
        options: {
          maintainAspectRatio: false,
          animation: false,
          plugins: { legend: { labels: { filter: function (item, chart) { return item.datasetIndex !== 1; } } } },
          scales: { y: { beginAtZero: true } }
        }
      });
    }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
