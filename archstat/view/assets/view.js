// archstat view: the network drawn from the model embedded in this page (the JSON element with id "model").
// dagre (vendored above this script) lays the graph out top to bottom; this script draws it as SVG, colours the
// nodes by the cost picked, collapses and expands groups (each toggle lays the graph out again) and shows a
// layer's explain derivation on hover or click. No network access: everything is in the page.
(function () {
  "use strict";
  var t0 = performance.now();
  var M = JSON.parse(document.getElementById("model").textContent);
  var NODE_W = 196, NODE_H = 54;
  var byId = {}, groups = {}, collapsed = new Set(), pinned = null, colorBy = M.color_by, scale = 1;
  M.nodes.forEach(function (n) { byId[n.id] = n; });
  M.groups.forEach(function (g) { groups[g.id] = g; if (g.collapsed) collapsed.add(g.id); });
  // each layer's groups, outermost first
  var chain = {};
  M.nodes.forEach(function (n) {
    var c = [], g = n.group;
    while (g) { c.unshift(g); g = groups[g].parent; }
    chain[n.id] = c;
  });
  function groupChain(id) {
    var c = [], g = id;
    while (g) { c.unshift(g); g = groups[g].parent; }
    return c;
  }

  // The box a layer is drawn in: its outermost collapsed group, or itself.
  function shownAs(id) {
    var c = chain[id];
    for (var i = 0; i < c.length; i++) if (collapsed.has(c[i])) return c[i];
    return id;
  }

  function human(v) {
    if (v === null || v === undefined) return "?";
    var a = Math.abs(v), s = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "K"]];
    for (var i = 0; i < s.length; i++) if (a >= s[i][0]) return (v / s[i][0]).toFixed(2) + s[i][1];
    return String(Math.round(v * 100) / 100);
  }
  function bytes(v) {
    if (v === null || v === undefined) return "?";
    var s = [[1e12, " TB"], [1e9, " GB"], [1e6, " MB"], [1e3, " KB"]];
    for (var i = 0; i < s.length; i++) if (Math.abs(v) >= s[i][0]) return (v / s[i][0]).toFixed(2) + s[i][1];
    return v + " B";
  }
  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }
  function clip(s, n) { s = String(s); return s.length > n ? s.slice(0, n - 1) + "\u2026" : s; }

  // The value a box is coloured by: a layer's own, a collapsed group's sum (receptive field: its output's).
  function metric(item) {
    var v = item[colorBy];
    return v === undefined ? null : v;
  }
  // YlOrRd, light to dark; zero is grey, unknown is hatched blue.
  var STOPS = ["#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"];
  function lerp(a, b, t) {
    var pa = parseInt(a.slice(1), 16), pb = parseInt(b.slice(1), 16), o = "#";
    for (var k = 16; k >= 0; k -= 8) {
      var x = Math.round(((pa >> k) & 255) * (1 - t) + ((pb >> k) & 255) * t);
      o += (x < 16 ? "0" : "") + x.toString(16);
    }
    return o;
  }
  function colour(v, max) {
    if (v === null) return { fill: "#dfe6f5", text: "#223", dash: true };
    if (!v || max <= 0) return { fill: "#f3f3f3", text: "#555" };
    var t = Math.log1p(v) / Math.log1p(max), x = t * (STOPS.length - 1), i = Math.min(Math.floor(x), STOPS.length - 2);
    return { fill: lerp(STOPS[i], STOPS[i + 1], x - i), text: t > 0.72 ? "#fff" : "#222" };
  }

  function boxLines(item, isGroup) {
    if (isGroup) {
      return [["\u25b8 " + clip(item.label, 22), "name"],
              [clip((item.kinds || item.layers + " layers") + " \u00b7 " + item.shape, 30), "kind"],
              [human(item.params) + " params \u00b7 " + human(item.macs) + " MACs", "cost"]];
    }
    return [[clip(item.label, 24), "name"], [clip(item.kind + " \u00b7 " + item.shape, 30), "kind"],
            [human(item.params) + " params \u00b7 " + human(item.macs) + " MACs", "cost"]];
  }

  var svg = document.getElementById("graph"), stage = document.getElementById("stage");
  var last = {};  // the last layout: box id -> {x, y, w, h}, for tests and zoom

  function render() {
    var t = performance.now();
    var g = new dagre.graphlib.Graph({ compound: true });
    g.setGraph({ rankdir: "TB", nodesep: 18, ranksep: 26, edgesep: 8, marginx: 16, marginy: 16 });
    g.setDefaultEdgeLabel(function () { return {}; });
    var shown = {}, clusters = {};
    M.nodes.forEach(function (n) {
      var s = shownAs(n.id);
      if (shown[s]) return;
      var isGroup = s !== n.id;
      shown[s] = isGroup ? "group" : "layer";
      g.setNode(s, { width: NODE_W, height: NODE_H });
      // the open groups around it become boxes (clusters)
      var c = isGroup ? groupChain(groups[s].parent) : chain[n.id], parent = null;
      c.forEach(function (gid) {
        if (!clusters[gid]) {
          clusters[gid] = true;
          g.setNode(gid, {});
          if (parent) g.setParent(gid, parent);
        }
        parent = gid;
      });
      if (parent) g.setParent(s, parent);
    });
    var seen = {};
    M.edges.forEach(function (e) {
      var a = shownAs(e[0]), b = shownAs(e[1]);
      if (a === b || seen[a + "\u0000" + b]) return;
      seen[a + "\u0000" + b] = true;
      g.setEdge(a, b);
    });
    var tl = performance.now();
    dagre.layout(g);
    var layoutMs = performance.now() - tl;

    var max = 0;
    Object.keys(shown).forEach(function (id) {
      var v = metric(shown[id] === "group" ? groups[id] : byId[id]);
      if (v && v > max) max = v;
    });
    var out = [], gw = g.graph().width, gh = g.graph().height;
    last = {};
    // clusters, outer ones first (a parent was added before its children)
    Object.keys(clusters).forEach(function (gid) {
      var c = g.node(gid), grp = groups[gid], x = c.x - c.width / 2, y = c.y - c.height / 2;
      out.push('<g class="cluster" data-id="' + esc(gid) + '"><rect x="' + x + '" y="' + (y - 4) + '" width="' +
               c.width + '" height="' + (c.height + 4) + '" rx="6"/><text class="toggle" x="' + (x + 6) + '" y="' +
               (y + 9) + '">\u25be ' + esc(clip(grp.label, 40)) + " (" + grp.layers + ")</text></g>");
    });
    g.edges().forEach(function (e) {
      var pts = g.edge(e).points, d = "M" + pts[0].x + "," + pts[0].y;
      for (var i = 1; i < pts.length; i++) d += "L" + pts[i].x + "," + pts[i].y;
      out.push('<path class="edge" d="' + d + '" marker-end="url(#arrow)"/>');
    });
    Object.keys(shown).forEach(function (id) {
      var n = g.node(id), isGroup = shown[id] === "group", item = isGroup ? groups[id] : byId[id];
      var c = colour(metric(item), max), x = n.x - NODE_W / 2, y = n.y - NODE_H / 2;
      last[id] = { x: x, y: y, w: NODE_W, h: NODE_H };
      var lines = boxLines(item, isGroup), txt = "";
      lines.forEach(function (l, i) {
        txt += '<text class="' + l[1] + '" x="' + n.x + '" y="' + (y + 16 + i * 15) + '" fill="' + c.text + '">' +
               esc(l[0]) + "</text>";
      });
      out.push('<g class="node ' + (isGroup ? "group" : "layer") + (pinned === id ? " selected" : "") +
               '" data-id="' + esc(id) + '"><title>' + esc(id) + '</title><rect x="' + x + '" y="' + y +
               '" width="' + NODE_W + '" height="' + NODE_H + '" rx="' + (isGroup ? 2 : 5) + '" fill="' + c.fill +
               '"' + (c.dash ? ' stroke-dasharray="4 2"' : "") + "/>" + txt + "</g>");
    });
    svg.setAttribute("viewBox", "0 0 " + gw + " " + gh);
    svg.dataset.width = gw;
    svg.dataset.height = gh;
    svg.innerHTML = '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" ' +
                    'markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z"/></marker></defs>' + out.join("");
    zoom(scale);
    legend(max);
    window.archstatTiming = { layoutMs: layoutMs, renderMs: performance.now() - t, boxes: Object.keys(shown).length,
                              clusters: Object.keys(clusters).length, sinceStartMs: performance.now() - t0 };
  }

  function zoom(s) {
    scale = s;
    svg.setAttribute("width", svg.dataset.width * s);
    svg.setAttribute("height", svg.dataset.height * s);
  }

  function legend(max) {
    var el = document.getElementById("legend"), label = M.metrics[colorBy];
    var bar = STOPS.map(function (c) { return '<span style="background:' + c + '"></span>'; }).join("");
    var hi = colorBy === "memory" ? bytes(max) : human(max);
    el.innerHTML = '<div class="bar">' + bar + '</div><div class="ends"><span>0 (grey)</span><span>' + esc(hi) +
                   '</span></div><div class="what">log scale over the boxes shown: ' + esc(label) +
                   "; dashed blue: unknown</div>";
  }

  function show(id) {
    var el = document.getElementById("explain"), head = document.getElementById("explain-head");
    if (groups[id]) {
      var g = groups[id];
      head.textContent = id + " (group, " + g.layers + " layers)";
      el.textContent = "output  " + g.shape + "\nparams  " + g.params.toLocaleString("en-US") + "\nMACs    " +
        (g.macs === null ? "unknown (some layer has no rule)" : g.macs.toLocaleString("en-US")) +
        "\nmemory  " + bytes(g.memory) + " allocated by its layers\n\nClick the box to open the group.";
      return;
    }
    var n = byId[id];
    if (!n) return;
    head.textContent = id + " (" + n.kind + ")";
    el.textContent = n.explain;
  }

  stage.addEventListener("mouseover", function (ev) {
    var node = ev.target.closest && ev.target.closest(".node");
    if (node && !pinned) show(node.dataset.id);
  });
  stage.addEventListener("click", function (ev) {
    var node = ev.target.closest && ev.target.closest(".node");
    if (node) {
      var id = node.dataset.id;
      if (groups[id] && collapsed.has(id)) {  // open a collapsed group
        collapsed.delete(id);
        pinned = null;
        render();
        show(id);
        return;
      }
      pinned = pinned === id ? null : id;
      var prev = svg.querySelector(".node.selected");
      if (prev) prev.classList.remove("selected");
      if (pinned) node.classList.add("selected");
      show(id);
      return;
    }
    var cl = ev.target.closest && ev.target.closest(".cluster .toggle");
    if (cl) {  // close an open group
      collapsed.add(cl.parentNode.dataset.id);
      render();
    }
  });

  var sel = document.getElementById("color-by");
  Object.keys(M.metrics).forEach(function (k) {
    var o = document.createElement("option");
    o.value = k;
    o.textContent = M.metrics[k];
    if (k === colorBy) o.selected = true;
    sel.appendChild(o);
  });
  sel.addEventListener("change", function () { colorBy = sel.value; render(); });
  document.getElementById("expand").addEventListener("click", function () { collapsed.clear(); render(); });
  document.getElementById("collapse").addEventListener("click", function () {
    M.groups.forEach(function (g) { if (!g.parent) collapsed.add(g.id); });
    render();
  });
  document.getElementById("zoom-in").addEventListener("click", function () { zoom(scale * 1.25); });
  document.getElementById("zoom-out").addEventListener("click", function () { zoom(scale / 1.25); });
  document.getElementById("zoom-fit").addEventListener("click", function () {
    zoom(Math.min(1, stage.clientWidth / svg.dataset.width));
  });

  // the side panel: totals and conventions
  var tot = document.getElementById("totals");
  tot.innerHTML = M.totals.headline.map(function (r) {
    return "<tr><th>" + esc(r[0]) + "</th><td>" + esc(r[1]) + "</td></tr>";
  }).join("");
  document.getElementById("totals-full").textContent = M.totals.lines.join("\n");
  document.getElementById("conv-short").innerHTML = M.conventions.short.map(function (l) {
    return "<li>" + esc(l) + "</li>";
  }).join("");
  document.getElementById("conv-full").innerHTML = Object.keys(M.conventions.full).map(function (k) {
    return "<li><b>" + esc(k) + "</b>: " + esc(M.conventions.full[k]) + "</li>";
  }).join("");
  if (!M.totals.complete) document.getElementById("partial").hidden = false;

  render();
  window.archstat = { model: M, boxes: function () { return last; }, render: render, collapsed: collapsed,
                      setColor: function (k) { sel.value = k; colorBy = k; render(); } };
  window.archstatLoadMs = performance.now();
  window.archstatReady = true;
})();
