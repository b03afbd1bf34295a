// Report charts (templates _macros/charts.html), drawn with the vendored Chart.js from each
// figure's JSON block: {kind, title, labels, datasets: [{label, data}]}. Progressive: the
// server-rendered table is the view without script; once a chart is drawn it is shown and the
// "Chart / Table" toggle switches between the two views.
//
// The Content-Security-Policy forbids inline scripts and style attributes: the data block is
// JSON (never executed) and Chart.js sizes its canvas through the CSSOM, which the policy
// allows. Each figure mirrors its state in data-chart-state ("drawn") and data-chart-view.
(() => {
  "use strict";

  if (typeof window.Chart !== "function") {
    return;
  }
  const TYPES = { bar: "bar", hbar: "bar", stacked: "bar", line: "line", doughnut: "doughnut" };

  function show(figure, view) {
    figure.querySelector(".dg-chart-canvas").hidden = view !== "chart";
    figure.querySelector(".dg-chart-table").hidden = view !== "table";
    figure.querySelectorAll("[data-chart-view]").forEach((button) => {
      const pressed = button.dataset.chartView === view;
      button.setAttribute("aria-pressed", String(pressed));
      button.classList.toggle("active", pressed);
    });
    figure.dataset.chartView = view;
  }

  function options(kind, series) {
    const result = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: series > 1 || kind === "doughnut", position: "bottom" } },
    };
    if (kind === "hbar") {
      result.indexAxis = "y";
    }
    if (kind === "stacked") {
      result.scales = { x: { stacked: true }, y: { stacked: true, beginAtZero: true } };
    } else if (kind !== "doughnut") {
      result.scales = { [kind === "hbar" ? "x" : "y"]: { beginAtZero: true } };
    }
    return result;
  }

  function draw(figure) {
    const block = figure.querySelector("script[data-chart-data]");
    if (!block || figure.dataset.chartState === "drawn") {
      return;
    }
    const data = JSON.parse(block.textContent);
    const box = figure.querySelector(".dg-chart-canvas");
    box.hidden = false;
    new window.Chart(box.querySelector("canvas"), {
      type: TYPES[data.kind] || "bar",
      data: { labels: data.labels, datasets: data.datasets },
      options: options(data.kind, data.datasets.length),
    });
    figure.dataset.chartState = "drawn";
    figure.querySelector("[data-chart-toggle]").hidden = false;
    show(figure, "chart");
  }

  function drawAll(root) {
    root.querySelectorAll("[data-chart]").forEach(draw);
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-chart-view]");
    const figure = button && button.closest("[data-chart]");
    if (figure && figure.dataset.chartState === "drawn") {
      show(figure, button.dataset.chartView);
    }
  });
  // Figures that htmx swaps into the page are drawn too.
  document.addEventListener("htmx:afterSettle", (event) => drawAll(event.target));
  drawAll(document);
})();
