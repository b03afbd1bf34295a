// The interactive graph of a CI's neighbourhood (templates cmdb/graph.html), drawn with the
// vendored Cytoscape.js from /cmdb/<id>/graph.json. Progressive: the server-rendered SVG stays
// on the page until the graph is drawn, and is the view without script.
//
// The Content-Security-Policy forbids inline scripts and style attributes; Cytoscape draws on
// a canvas and sets styles through the CSSOM, which the policy allows. The state of the view
// is mirrored in data attributes of #cmdb-graph (data-state, data-centre, data-nodes,
// data-affected, data-services, data-held, data-selected) for people's tools and tests.
(() => {
  "use strict";

  const box = document.getElementById("cmdb-graph");
  if (!box || typeof window.cytoscape !== "function") {
    return;
  }
  const panel = document.getElementById("graph-interactive");
  const fallback = document.getElementById("graph-fallback");
  const toggle = document.getElementById("graph-impact-toggle");
  const impactLink = document.getElementById("graph-impact-link");
  const legend = document.getElementById("graph-legend");
  const summary = document.getElementById("graph-summary");
  const selection = document.getElementById("graph-selection");

  // Cytoscape inserts a <style> element for its container unless an element with this id
  // exists; the CSP would refuse it. The container is positioned by Bootstrap's .ratio instead.
  const stylesheetId = "__________cytoscape_stylesheet";
  if (!document.getElementById(stylesheetId)) {
    const marker = document.createElement("meta");
    marker.id = stylesheetId;
    document.head.appendChild(marker);
  }

  const HELD = "#1a7f37";
  // Below this zoom the labels (13 px on the canvas) read smaller than 11 px: the first view
  // stays at it, centred on the CI, rather than fitting a large neighbourhood into a blur.
  // "Fit" still shows every CI at once.
  const READABLE_ZOOM = 0.85;
  const EDGE = "#b7c2cf";
  const ARROW = "#8a97a8";

  function styles(palette) {
    return [
      {
        selector: "node",
        style: {
          shape: "round-rectangle",
          width: 124,
          height: 44,
          "background-color": palette.none.fill,
          "border-color": palette.none.stroke,
          "border-width": 1.3,
          label: "data(display)",
          "text-wrap": "wrap",
          "text-max-width": "118px",
          "text-valign": "center",
          "text-halign": "center",
          "font-family": "system-ui, sans-serif",
          "font-size": 13,
          "line-height": 1.15,
          color: "#13263a",
        },
      },
      {
        selector: "node.centre",
        style: {
          "background-color": palette.centre.fill,
          "border-color": palette.centre.stroke,
          "border-width": 3,
          "font-weight": 700,
        },
      },
      { selector: "node.service", style: { "border-style": "double", "border-width": 5 } },
      { selector: "node.retired", style: { "border-style": "dashed", opacity: 0.7 } },
      {
        selector: "node.degraded",
        style: {
          "background-color": palette.degraded.fill,
          "border-color": palette.degraded.stroke,
        },
      },
      {
        selector: "node.down",
        style: { "background-color": palette.down.fill, "border-color": palette.down.stroke },
      },
      {
        selector: "node.held",
        style: { "outline-color": HELD, "outline-width": 3, "outline-offset": 2 },
      },
      {
        selector: "node:selected",
        style: { "overlay-color": palette.centre.stroke, "overlay-opacity": 0.15, "overlay-padding": 6 },
      },
      {
        selector: "edge",
        style: {
          width: 1.2,
          "line-color": EDGE,
          "target-arrow-color": ARROW,
          "target-arrow-shape": "triangle",
          "curve-style": "bezier",
          label: "data(label)",
          "font-family": "system-ui, sans-serif",
          "font-size": 10,
          color: "#5b6b7d",
          "text-rotation": "autorotate",
          "text-background-color": "#ffffff",
          "text-background-opacity": 0.85,
          "text-background-padding": 1,
        },
      },
      {
        selector: "edge.hot",
        style: {
          width: 2.5,
          "line-color": palette.down.stroke,
          "target-arrow-color": palette.down.stroke,
        },
      },
    ];
  }

  function paintLegend(palette) {
    const swatches = {
      centre: [palette.centre.fill, palette.centre.stroke, "solid"],
      down: [palette.down.fill, palette.down.stroke, "solid"],
      degraded: [palette.degraded.fill, palette.degraded.stroke, "solid"],
      service: [palette.none.fill, palette.none.stroke, "double"],
      held: [palette.degraded.fill, HELD, "solid"],
      retired: [palette.none.fill, palette.none.stroke, "dashed"],
    };
    legend.querySelectorAll("[data-swatch]").forEach((swatch) => {
      const [fill, stroke, line] = swatches[swatch.dataset.swatch];
      swatch.style.backgroundColor = fill;
      swatch.style.borderColor = stroke;
      swatch.style.borderStyle = line;
      swatch.style.borderWidth = line === "double" ? "4px" : "2px";
    });
  }

  function count(name, value) {
    legend.querySelector(`[data-count="${name}"]`).textContent = String(value);
  }

  // A message in the reader's language (app/cmdb/graph_views.py), its %(name)s filled in.
  function say(key, fallback, values = {}) {
    return dgText(key, fallback).replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));
  }

  function stateWord(state) {
    return dgText(`cmdb.state.${state}`, state);
  }

  function describeImpact(data, centreName) {
    const impact = data.impact;
    if (!impact) {
      return "";
    }
    if (impact.ignored.includes(data.centre)) {
      return say(
        "cmdb.graph.ignored",
        "%(name)s is not counted by impact analysis in its lifecycle status (see the CMDB settings), so its failure hits nothing.",
        { name: centreName },
      );
    }
    const outside = impact.affected - impact.affected_in_view;
    const services = impact.services.map((s) => `${s.name} (${stateWord(s.state)})`).join(", ");
    const counts = { name: centreName, count: impact.affected, down: impact.down, degraded: impact.degraded };
    let text = impact.affected === 1
      ? say("cmdb.graph.fails_one", "If %(name)s fails: %(count)s CI affected (%(down)s down, %(degraded)s degraded)", counts)
      : say("cmdb.graph.fails_many", "If %(name)s fails: %(count)s CIs affected (%(down)s down, %(degraded)s degraded)", counts);
    text += outside > 0
      ? say("cmdb.graph.beyond", ", %(count)s of them beyond this view. ", { count: outside })
      : ". ";
    text += impact.services_total
      ? say("cmdb.graph.services", "Services: %(services)s. ", {
          services: services + (impact.services_total > impact.services.length ? ", …" : ""),
        })
      : say("cmdb.graph.no_service", "No business service is affected. ");
    text += say("cmdb.graph.people", "People: %(affected)s affected, %(cut)s cut off.", {
      affected: impact.people.affected,
      cut: impact.people.cut_off,
    });
    return text;
  }

  function draw(data) {
    if (!data.nodes.length) {
      box.dataset.state = "empty";
      return;
    }
    const held = new Set(
      ((data.impact && data.impact.groups) || []).filter((g) => g.held).map((g) => g.id),
    );
    const elements = [];
    data.nodes.forEach((n) => {
      const classes = [];
      if (n.centre) classes.push("centre");
      if (n.service) classes.push("service");
      if (n.status === "retired") classes.push("retired");
      elements.push({
        group: "nodes",
        data: { ...n, display: `${n.label}\n${n.class_label}` },
        position: { x: n.x, y: n.y },
        classes,
      });
    });
    data.edges.forEach((e) => elements.push({ group: "edges", data: e }));

    panel.classList.remove("d-none");
    fallback.classList.add("d-none");
    const cy = window.cytoscape({
      container: box,
      elements,
      style: styles(data.palette),
      layout: { name: "preset", fit: true, padding: 24 },
      minZoom: 0.2,
      maxZoom: 2.5,
      boxSelectionEnabled: false,
      autoungrabify: true,
    });
    box.cy = cy; // for people's tools and the browser tests
    if (cy.zoom() < READABLE_ZOOM) {
      cy.zoom(READABLE_ZOOM);
      cy.center(cy.getElementById(data.centre));
    }
    paintLegend(data.palette);

    const centreName = cy.getElementById(data.centre).data("name");
    const servicesInView = data.nodes.filter((n) => n.service).length;
    count("service", servicesInView);
    box.dataset.centre = data.centre;
    box.dataset.nodes = String(data.nodes.length);

    function showImpact(on) {
      const inView = { down: 0, degraded: 0, held: 0, services: 0 };
      cy.batch(() => {
        cy.nodes().forEach((node) => {
          const state = on ? node.data("state") : null;
          node.toggleClass("down", state === "down");
          node.toggleClass("degraded", state === "degraded");
          node.toggleClass("held", on && held.has(node.id()));
          if (state) {
            inView[state] += 1;
            if (node.data("service")) inView.services += 1;
          }
          if (on && held.has(node.id())) inView.held += 1;
        });
        cy.edges().forEach((edge) => edge.toggleClass("hot", on && edge.data("hot")));
      });
      count("down", inView.down);
      count("degraded", inView.degraded);
      count("held", inView.held);
      legend.querySelectorAll("[data-impact-only]").forEach((item) => {
        item.hidden = !on;
      });
      summary.textContent = on
        ? describeImpact(data, centreName)
        : say(
            "cmdb.graph.hidden",
            "Impact hidden: switch it on to see what the failure of %(name)s would hit.",
            { name: centreName },
          );
      // The text above the canvas may have moved it: Cytoscape caches where its container is.
      cy.resize();
      box.dataset.impact = on ? "1" : "0";
      box.dataset.affected = String(on ? inView.down + inView.degraded : 0);
      box.dataset.services = String(on ? inView.services : 0);
      box.dataset.held = String(inView.held);
    }

    function graphUrl(node) {
      const url = new URL(node.data("graph_url"), window.location.href);
      if (!toggle.checked) url.searchParams.set("impact", "0");
      return url.pathname + url.search;
    }

    function select(node) {
      const state = toggle.checked && node.data("state") ? `, ${stateWord(node.data("state"))}` : "";
      const status = dgText(`cmdb.status.${node.data("status")}`, node.data("status")).toLowerCase();
      selection.querySelector('[data-field="name"]').textContent = node.data("name");
      selection.querySelector('[data-field="details"]').textContent =
        `${node.data("class_label")} · ${status}${state}${node.data("group") ? ` · ${say("cmdb.graph.up_while", "up while %(rule)s", { rule: node.data("group") })}` : ""}`;
      const recentre = selection.querySelector('[data-field="recentre"]');
      recentre.href = graphUrl(node);
      recentre.hidden = node.data("centre");
      selection.querySelector('[data-field="open"]').href = node.data("url");
      selection.hidden = false;
      box.dataset.selected = node.id();
    }

    cy.on("tap", "node", (event) => select(event.target));
    cy.on("dbltap", "node", (event) => {
      if (!event.target.data("centre")) window.location.assign(graphUrl(event.target));
    });
    cy.on("tap", (event) => {
      if (event.target === cy) {
        cy.elements().unselect();
        selection.hidden = true;
        delete box.dataset.selected;
      }
    });
    cy.on("mouseover", "node", () => {
      box.style.cursor = "pointer";
    });
    cy.on("mouseout", "node", () => {
      box.style.cursor = "";
    });
    document.getElementById("graph-fit").addEventListener("click", () => cy.fit(undefined, 24));
    toggle.addEventListener("change", () => showImpact(toggle.checked));
    if (impactLink) impactLink.classList.add("d-none"); // the switch replaces the reload link
    showImpact(toggle.checked);
    box.dataset.state = "ready";
  }

  box.dataset.state = "loading";
  fetch(box.dataset.src, { headers: { Accept: "application/json" }, credentials: "same-origin" })
    .then((response) => {
      if (!response.ok) throw new Error(`graph data: status ${response.status}`);
      return response.json();
    })
    .then(draw)
    .catch(() => {
      // The SVG stays in place; say why the interactive view is missing.
      box.dataset.state = "failed";
      panel.classList.add("d-none");
      fallback.classList.remove("d-none");
      const note = document.createElement("p");
      note.className = "small text-body-secondary";
      note.textContent = say(
        "cmdb.graph.failed",
        "The interactive graph could not be loaded; this drawing shows the same CIs.",
      );
      fallback.prepend(note);
    });
})();
