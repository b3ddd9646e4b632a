// Charts of the POS pages: data comes from the json_script element "pos-chart-data" (strict CSP).
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("pos-chart-data");
    if (!source || typeof Chart === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var num = function (values) { return (values || []).map(Number); };
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var kind = canvas.getAttribute("data-chart");
      var config = null;
      if (kind === "month") {
        config = { type: "bar", data: { labels: data.months, datasets: [
          { type: "bar", label: "Revenue (" + data.currency + ")", data: num(data.revenue), yAxisID: "y" },
          { type: "line", label: "Units", data: num(data.units), yAxisID: "y1" }
        ] }, options: { animation: false, scales: { y: { position: "left" }, y1: { position: "right", grid: { drawOnChartArea: false } } } } };
      } else if (kind === "partner") {
        config = { type: "bar", data: { labels: data.partners, datasets: [{ label: "Revenue", data: num(data.partner_revenue) }] }, options: { animation: false, indexAxis: "y" } };
      } else if (kind === "category") {
        config = { type: "doughnut", data: { labels: data.categories, datasets: [{ label: "Revenue", data: num(data.category_revenue) }] }, options: { animation: false } };
      } else if (kind === "region") {
        config = { type: "bar", data: { labels: data.regions, datasets: [{ label: "Revenue", data: num(data.region_revenue) }] }, options: { animation: false } };
      } else if (kind === "inventory") {
        config = { type: "line", data: { labels: data.dates, datasets: [
          { label: "On hand", data: num(data.on_hand) },
          { label: "On order", data: num(data.on_order) },
          { label: "In transit", data: num(data.in_transit) },
          { type: "bar", label: "Sold in the week", data: num(data.sold) }
        ] }, options: { animation: false } };
      }
      if (config) { new Chart(canvas, config); canvas.setAttribute("data-rendered", "1"); }
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
