// The plan's timeline (ECharts, served locally): phases as bars, each section's deadlines as
// marks on its row (shape and tooltip say the light, not colour alone); a mark opens its task.
window.ipplanCharts.start("plan-timeline-data", function (data) {
  var el = document.getElementById("plan-timeline");
  if (!el) return [];
  var colours = { red: "#dc3545", yellow: "#e0a800", green: "#198754", done: "#6c757d" };
  var shapes = { red: "triangle", yellow: "diamond", green: "circle", done: "rect" };
  var phaseRows = data.phases.map(function (p) { return data.labels.phase + " · " + p.name; });
  var rows = phaseRows.concat(data.rows);
  var offset = phaseRows.length;
  var narrow = el.clientWidth < 576;
  var labelWidth = narrow ? 96 : 200;
  el.style.height = Math.max(240, rows.length * (narrow ? 44 : 34) + 90) + "px";
  var chart = echarts.init(el);

  function bar(params, api, colour, thickness) {
    var start = api.coord([api.value(1), api.value(0)]);
    var end = api.coord([api.value(2), api.value(0)]);
    var height = api.size([0, 1])[1] * thickness;
    var shape = echarts.graphic.clipRectByRect(
      { x: start[0], y: start[1] - height / 2, width: Math.max(end[0] - start[0], 3), height: height },
      { x: params.coordSys.x, y: params.coordSys.y, width: params.coordSys.width, height: params.coordSys.height }
    );
    return shape && { type: "rect", shape: shape, style: api.style({ fill: colour }) };
  }

  chart.setOption({
    tooltip: {
      trigger: "item", confine: true,
      formatter: function (p) {
        if (p.seriesIndex === 2) return echarts.format.encodeHTML(p.data.name) + "<br>" + data.labels.deadline + " " + p.data.value[0] + " · " + (data.lights[p.data.light] || "");
        return echarts.format.encodeHTML(rows[p.value[0]]) + "<br>" + p.value[1] + " — " + p.value[2];
      }
    },
    grid: { left: 8, right: 24, top: 16, bottom: 48, containLabel: true },
    dataZoom: [{ type: "inside", xAxisIndex: 0 }, { type: "slider", xAxisIndex: 0, height: 18, bottom: 8 }],
    xAxis: { type: "time", axisLabel: { hideOverlap: true } },
    yAxis: {
      type: "category", data: rows, inverse: true,
      axisLabel: { width: labelWidth, overflow: "break", lineHeight: 14, fontSize: narrow ? 11 : 12 }
    },
    series: [
      {
        type: "custom", name: data.labels.phase, encode: { x: [1, 2], y: 0 },
        renderItem: function (params, api) {
          var state = data.phases[params.dataIndex].state;
          return bar(params, api, state === "current" ? "#0a58ca" : state === "done" ? "#75b798" : "#9ec5fe", 0.55);
        },
        data: data.phases.map(function (p, i) { return [i, p.start, p.end]; })
      },
      {
        type: "custom", name: data.labels.deadline, encode: { x: [1, 2], y: 0 }, silent: false,
        renderItem: function (params, api) { return bar(params, api, "#dee2e6", 0.25); },
        data: data.spans.map(function (s) { return [s.row + offset, s.start, s.end]; })
      },
      {
        type: "scatter", name: data.labels.deadline, symbolSize: 11,
        data: data.dots.map(function (d) {
          return {
            value: [d.value[0], d.value[1] + offset], name: d.name, link: d.link, light: d.light,
            symbol: shapes[d.light] || "circle", itemStyle: { color: colours[d.light] || "#6c757d", borderColor: "#fff", borderWidth: 1 }
          };
        }),
        markLine: {
          symbol: "none", silent: true, lineStyle: { color: "#dc3545", type: "dashed" },
          label: { formatter: data.labels.today, position: "insideEndTop" },
          data: [{ xAxis: data.today }]
        }
      }
    ]
  });
  window.ipplanCharts.followLinks(chart);
  return [chart];
});
