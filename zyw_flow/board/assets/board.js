/* zyw_flow campaign board: renders the embedded JSON; no network, no external file. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("board-data").textContent);
  var FONT = "ZywCJK, 'Noto Sans CJK SC', sans-serif";
  var T = {
    zh: {
      toggle: "English ids", at: "截至", units: "单位", steps: "事项", overdueN: "逾期事项",
      redN: "最高升级", sanctionsN: "问责", findingsN: "问题", phase: "当前阶段",
      statusChart: "事项状态", tree: "单位进度与事项信号灯", overdue: "逾期清单",
      subtree: "单位范围", step: "事项", unit: "单位", all: "全部", timeline: "单位时间线",
      calendar: "工作日历 (甘特图)", findings: "发现问题", sanctions: "问责情况",
      evaluation: "考核评价", ranking: "排名", distribution: "等次分布", scorecards: "评分表",
      progress: "进度", lights: "事项信号灯", due: "截止", level: "升级", status: "状态",
      source: "来源", description: "问题描述", recorded: "发现时间", person: "责任人",
      sanction: "问责方式", reason: "事由", actor: "执行人", rank: "名次", total: "得分",
      grade: "等次", none: "无", count: "共 {n} 项", notScored: "尚未录入评分。",
      overdueOnly: "逾期 (未升级)", before: "未开始", indicator: "指标", weight: "权重",
      value: "得分", contribution: "折合", footer: "由 zyw_flow 生成 · 离线单文件看板 · 图表: Apache ECharts · 字体: Noto Sans CJK (SIL OFL 1.1)",
      deadline: "截止日期", advanced: "先进", date: "日期", kind: "类别", empty: "无记录", ungraded: "未定等次", late: "逾期报送"
    },
    en: {
      toggle: "中文", at: "as of", units: "units", steps: "steps", overdueN: "overdue",
      redN: "top level", sanctionsN: "sanctions", findingsN: "findings", phase: "phase",
      statusChart: "step statuses", tree: "units: progress and step lights", overdue: "overdue list",
      subtree: "subtree", step: "step", unit: "unit", all: "all", timeline: "unit timeline",
      calendar: "campaign calendar (Gantt)", findings: "findings", sanctions: "sanctions",
      evaluation: "evaluation", ranking: "ranking", distribution: "grade distribution",
      scorecards: "scorecards", progress: "progress", lights: "step lights", due: "due",
      level: "escalation", status: "status", source: "source", description: "description",
      recorded: "recorded", person: "person", sanction: "sanction", reason: "reason",
      actor: "actor", rank: "rank", total: "total", grade: "grade", none: "none",
      count: "{n} items", notScored: "No scores recorded yet.", overdueOnly: "overdue (level 0)",
      before: "before", indicator: "indicator", weight: "weight", value: "value",
      contribution: "points", footer: "made by zyw_flow · offline single-file board · charts: Apache ECharts · font: Noto Sans CJK (SIL OFL 1.1)",
      deadline: "deadline", advanced: "advanced", date: "date", kind: "kind", empty: "nothing recorded", ungraded: "ungraded", late: "late"
    }
  };
  var EVENTS = {
    enrolled: "纳入活动", phase_opened: "阶段开始", phase_entered: "进入阶段",
    step_submitted: "报送", step_accepted: "审核通过", step_returned: "退回修改",
    step_waived: "免于办理", step_overdue: "逾期", step_escalated: "逾期升级",
    finding_recorded: "发现问题", finding_verified: "整改核实", sanction_issued: "问责",
    score_recorded: "录入评分", deduction_recorded: "扣分", case_recorded: "案件",
    evaluation_finalized: "评价定档", ranking_action: "排名处理",
    consequence_action: "处理措施"
  };
  var state = {
    lang: document.body.getAttribute("data-lang") === "en" ? "en" : "zh",
    subtree: "", step: "", levels: null, unit: null
  };
  var charts = [];
  var byId = {};
  D.units.forEach(function (u) { byId[u.id] = u; });
  var ladder = {};
  D.escalation.forEach(function (l) { ladder[l.level] = l; });
  var phaseTitle = {};
  D.phases.forEach(function (p) { phaseTitle[p.id] = p.title; });
  var stepTitle = {};
  D.gantt.forEach(function (r) { if (r.kind === "step") { stepTitle[r.id] = r.title; } });
  D.units.forEach(function (u) { u.steps.forEach(function (s) { if (!(s.step in stepTitle)) { stepTitle[s.step] = s.title; } }); });

  function t(key) { return T[state.lang][key] || key; }
  function zh() { return state.lang === "zh"; }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === "text") { node.textContent = attrs[k]; }
        else if (k === "cls") { node.className = attrs[k]; }
        else if (attrs[k] !== null && attrs[k] !== undefined) { node.setAttribute(k, attrs[k]); }
      });
    }
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  /* a label: the Chinese title with the id beside it, or the id alone in English mode */
  function label(title, id) {
    if (!zh() || !title || title === id) { return el("span", { text: id }); }
    return el("span", null, [title, el("span", { cls: "id", text: id })]);
  }
  function text(title, id) { return zh() && title ? title : id; }
  // ECharts renders a formatter's string as HTML: the template's titles and ids are text
  function esc(value) {
    return String(value).replace(/[&<>"']/g, function (ch) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch];
    });
  }
  function unitText(id) { var u = byId[id]; return u ? text(u.name, u.id) : id; }
  function baseOf(step) { var i = step.indexOf("@"); return i < 0 ? step : step.slice(0, i); }
  function stepText(step, title) {
    var base = baseOf(step);
    var shown = title || stepTitle[step] || stepTitle[base];
    if (!zh() || !shown) { return step; }
    return step === base ? shown : shown + " " + step.slice(base.length + 1);
  }
  function levelText(level) {
    if (!level) { return t("overdueOnly"); }
    var l = ladder[level];
    return l ? text(l.title, l.id) : String(level);
  }
  function statusText(status) { return zh() ? (D.statuses[status] || status) : status; }
  function day(iso) { return iso ? iso.slice(0, 10) : "—"; }
  function stamp(iso) { return iso ? iso.slice(0, 16).replace("T", " ") : "—"; }
  function fill(table, head, rows) {
    var thead = table.querySelector("thead"), tbody = table.querySelector("tbody");
    thead.textContent = ""; tbody.textContent = "";
    thead.appendChild(el("tr", null, head.map(function (h) { return el("th", { text: h }); })));
    if (!rows.length) {
      tbody.appendChild(el("tr", { cls: "empty" }, [el("td", { colspan: String(head.length), text: t("empty") })]));
    }
    rows.forEach(function (r) { tbody.appendChild(r); });
  }
  function td(content, cls) {
    var cell = el("td", cls ? { cls: cls } : null);
    if (content instanceof Node) { cell.appendChild(content); } else { cell.textContent = content === null || content === undefined ? "—" : String(content); }
    return cell;
  }
  function lightClass(s) {
    var cls = "light s-" + s.status;
    if (s.status === "overdue") { cls += " l-" + Math.min(s.escalation, 4); }
    return cls;
  }
  function lightTitle(s) {
    var parts = [stepText(s.step, s.title), statusText(s.status)];
    if (s.status === "overdue") { parts.push(levelText(s.escalation)); }
    if (s.due) { parts.push(t("due") + " " + day(s.due)); }
    if (s.late) { parts.push(t("late")); }
    return parts.join(" · ");
  }

  function renderHeader() {
    var c = D.campaign;
    document.documentElement.lang = zh() ? "zh-CN" : "en";
    document.getElementById("title").textContent = zh() ? c.title : c.id;
    var sub = [c.id, t("at") + " " + stamp(c.at), t("phase") + ": " + (c.phase ? text(phaseTitle[c.phase], c.phase) : t("before"))];
    document.getElementById("subtitle").textContent = sub.join(" · ");
    document.getElementById("lang-toggle").textContent = t("toggle");
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), function (n) {
      n.textContent = t(n.getAttribute("data-i18n"));
    });
  }
  function renderSummary() {
    var box = document.getElementById("summary");
    box.textContent = "";
    var steps = 0;
    Object.keys(D.board.statuses).forEach(function (k) { steps += D.board.statuses[k]; });
    var top = 0;
    D.overdue.forEach(function (o) { top = Math.max(top, o.escalation); });
    var topCount = D.overdue.filter(function (o) { return top > 0 && o.escalation === top; }).length;
    [
      ["units", D.units.length], ["steps", steps], ["overdueN", D.overdue.length],
      ["redN", top ? levelText(top) + " × " + topCount : t("none")],
      ["findingsN", D.findings.length], ["sanctionsN", D.sanctions.length]
    ].forEach(function (kv) {
      box.appendChild(el("div", { cls: "card", "data-testid": "card-" + kv[0] }, [
        el("div", { cls: "v", text: String(kv[1]) }), el("div", { cls: "k", text: t(kv[0]) })
      ]));
    });
  }
  function renderLegend() {
    var box = document.getElementById("legend");
    box.textContent = "";
    ["not_open", "pending", "submitted", "returned", "accepted", "waived"].forEach(function (s) {
      box.appendChild(el("span", null, [el("i", { cls: "light s-" + s }), statusText(s)]));
    });
    [0].concat(D.escalation.map(function (l) { return l.level; })).forEach(function (lv) {
      box.appendChild(el("span", null, [el("i", { cls: "light s-overdue l-" + Math.min(lv, 4) }), (zh() ? "逾期 · " : "overdue · ") + levelText(lv)]));
    });
  }
  function renderTree() {
    var table = document.getElementById("unit-tree");
    var rows = [];
    function walk(id) {
      var u = byId[id];
      var name = el("td", { style: "padding-left:" + (8 + 18 * u.depth) + "px" }, [label(u.name, u.id)]);
      var pct = u.total ? Math.round((100 * u.done) / u.total) : 0;
      var progress = el("td", null, [
        el("span", { cls: "bar" }, [el("i", { style: "width:" + pct + "%" })]),
        " " + u.done + "/" + u.total
      ]);
      var lights = el("div", { cls: "lights" }, u.steps.map(function (s) {
        return el("i", { cls: lightClass(s), title: lightTitle(s), "data-step": s.step, "data-status": s.status, "data-level": String(s.escalation) });
      }));
      var row = el("tr", { cls: "unit-row" + (state.unit === u.id ? " selected" : ""), "data-unit": u.id, "data-testid": "unit-" + u.id }, [
        name,
        td(u.phase ? text(phaseTitle[u.phase], u.phase) : t("before")),
        progress,
        td(String(u.overdue), "num"),
        td(String(u.sanctions.length), "num"),
        td(u.grade ? text((D.evaluation && D.evaluation.bands[u.grade]) || u.grade, u.grade) : "—"),
        td(lights)
      ]);
      row.addEventListener("click", function () { selectUnit(u.id); });
      rows.push(row);
      (D.children[id] || []).forEach(walk);
    }
    (D.children[""] || []).forEach(walk);
    fill(table, [t("unit"), t("phase"), t("progress"), t("overdueN"), t("sanctionsN"), t("grade"), t("lights")], rows);
  }
  function inSubtree(unit, root) {
    for (var u = byId[unit]; u; u = byId[u.parent]) { if (u.id === root) { return true; } }
    return false;
  }
  function overdueRows() {
    return D.overdue.filter(function (o) {
      if (state.subtree && !inSubtree(o.unit, state.subtree)) { return false; }
      if (state.step && baseOf(o.step) !== state.step) { return false; }
      if (state.levels && !state.levels[o.escalation]) { return false; }
      return true;
    });
  }
  function renderFilters() {
    var sub = document.getElementById("f-subtree");
    sub.textContent = "";
    sub.appendChild(el("option", { value: "", text: t("all") }));
    function walk(id) {
      var u = byId[id];
      sub.appendChild(el("option", { value: u.id, text: "\u3000".repeat(u.depth) + unitText(u.id) }));
      (D.children[id] || []).forEach(walk);
    }
    (D.children[""] || []).forEach(walk);
    sub.value = state.subtree;
    var stepSel = document.getElementById("f-step");
    stepSel.textContent = "";
    stepSel.appendChild(el("option", { value: "", text: t("all") }));
    var seen = {};
    D.overdue.forEach(function (o) { seen[baseOf(o.step)] = true; });
    Object.keys(seen).sort().forEach(function (s) {
      stepSel.appendChild(el("option", { value: s, text: stepText(s) }));
    });
    stepSel.value = state.step;
    var chips = document.getElementById("f-levels");
    chips.textContent = "";
    [0].concat(D.escalation.map(function (l) { return l.level; })).forEach(function (lv) {
      var on = !state.levels || !!state.levels[lv];
      var chip = el("button", { type: "button", cls: "chip l-" + Math.min(lv, 4), "aria-pressed": on ? "true" : "false", "data-level": String(lv), "data-testid": "level-" + lv, text: levelText(lv) });
      chip.addEventListener("click", function () {
        var levels = {};
        [0].concat(D.escalation.map(function (l) { return l.level; })).forEach(function (x) { levels[x] = !state.levels || !!state.levels[x]; });
        levels[lv] = !levels[lv];
        state.levels = levels;
        renderFilters(); renderOverdue();
      });
      chips.appendChild(chip);
    });
  }
  function renderOverdue() {
    var rows = overdueRows().map(function (o) {
      var lv = o.escalation;
      return el("tr", { "data-unit": o.unit, "data-step": o.step, "data-level": String(lv) }, [
        td(label(byId[o.unit] ? byId[o.unit].name : o.unit, o.unit)),
        td(zh() ? el("span", null, [stepText(o.step, o.title), el("span", { cls: "id", text: o.step })]) : o.step),
        td(day(o.due)),
        td(el("span", { cls: "tag l-" + Math.min(lv, 4), text: levelText(lv) }))
      ]);
    });
    document.getElementById("overdue-count").textContent = t("count").replace("{n}", String(rows.length));
    fill(document.getElementById("overdue-list"), [t("unit"), t("step"), t("due"), t("level")], rows);
  }
  function eventText(e) {
    var d = e.data || {};
    var parts = [zh() ? (EVENTS[e.type] || e.type) : e.type];
    if (e.step) { parts.push(stepText(e.step)); }
    if (e.type === "step_escalated") { parts.push(zh() ? (d.title || d.id) : (d.id || d.title)); }
    if (e.type === "sanction_issued") { parts.push(zh() ? (d.title || d.sanction) : d.sanction); }
    if (e.type === "phase_opened" || e.type === "phase_entered") { var p = d.phase || d.to; if (p) { parts.push(text(phaseTitle[p], p)); } }
    if (d.reason) { parts.push(d.reason); }
    if (d.description) { parts.push(d.description); }
    if (e.actor) { parts.push("(" + e.actor + ")"); }
    return parts.join(" · ");
  }
  function renderTimeline() {
    var sel = document.getElementById("f-unit");
    sel.textContent = "";
    D.units.forEach(function (u) {
      sel.appendChild(el("option", { value: u.id, text: "\u3000".repeat(u.depth) + unitText(u.id) }));
    });
    if (!state.unit && D.units.length) { state.unit = D.units[0].id; }
    sel.value = state.unit || "";
    var list = document.getElementById("timeline");
    list.textContent = "";
    var events = D.timelines[state.unit] || [];
    if (!events.length) { list.appendChild(el("li", { text: t("empty") })); }
    events.forEach(function (e) {
      list.appendChild(el("li", { cls: "t-" + e.type, "data-type": e.type }, [el("time", { text: stamp(e.at) }), eventText(e)]));
    });
  }
  function selectUnit(id) {
    state.unit = id;
    Array.prototype.forEach.call(document.querySelectorAll("tr.unit-row"), function (r) {
      r.classList.toggle("selected", r.getAttribute("data-unit") === id);
    });
    renderTimeline();
  }
  function renderFindings() {
    fill(document.getElementById("findings"), [t("unit"), t("kind"), t("source"), t("description"), t("recorded"), t("due"), t("status")],
      D.findings.map(function (f) {
        return el("tr", { "data-unit": f.unit }, [
          td(label(byId[f.unit] ? byId[f.unit].name : f.unit, f.unit)), td(f.id),
          td(text(f.source_title, f.source)), td(f.description || "—"), td(stamp(f.at)), td(day(f.due)),
          td(f.status ? statusText(f.status) + (f.escalation_title ? " · " + f.escalation_title : "") : "—")
        ]);
      }));
    fill(document.getElementById("sanctions"), [t("unit"), t("person"), t("sanction"), t("reason"), t("date"), t("actor")],
      D.sanctions.map(function (s) {
        return el("tr", { "data-unit": s.unit }, [
          td(label(byId[s.unit] ? byId[s.unit].name : s.unit, s.unit)),
          td(s.person ? unitText(s.person) : "—"),
          td(zh() ? (s.title || s.sanction) + (s.level ? " (" + s.level + ")" : "") : s.sanction),
          td(s.reason || "—"), td(stamp(s.at)), td(s.actor || "—")
        ]);
      }));
  }
  function bandText(b) {
    if (b === "ungraded" || b === null || b === undefined) { return t("ungraded"); }
    return text(D.evaluation.bands[b], b);
  }
  function renderEvaluation() {
    var ev = D.evaluation, panel = document.getElementById("evaluation-panel");
    if (!ev) { panel.hidden = true; return; }
    panel.hidden = false;
    var names = Object.keys(ev.schemes).map(function (k) { return text(ev.schemes[k].title, ev.schemes[k].id); });
    var note = names.join(" · ") + (ev.cards.length ? "" : " — " + (ev.error || t("notScored")));
    if (ev.advanced && ev.advanced.length) { note += " · " + t("advanced") + ": " + ev.advanced.map(unitText).join("、"); }
    document.getElementById("evaluation-note").textContent = note;
    document.getElementById("evaluation-body").hidden = !ev.cards.length;
    document.getElementById("scorecards-heading").hidden = !ev.cards.length;
    fill(document.getElementById("ranking"), [t("rank"), t("unit"), t("total"), t("grade")],
      (ev.ranking || []).map(function (r) {
        return el("tr", { "data-unit": r.unit }, [td((r.tie ? "=" : "") + r.rank, "num"), td(label(byId[r.unit] ? byId[r.unit].name : r.unit, r.unit)), td(r.total, "num"), td(bandText(r.band))]);
      }));
    var box = document.getElementById("scorecards");
    box.textContent = "";
    ev.cards.forEach(function (c) {
      var table = el("table", { cls: "grid" }, [el("thead"), el("tbody")]);
      fill(table, [t("indicator"), t("weight"), t("value"), t("contribution")], c.lines.map(function (l) {
        var name = text(l.title, l.indicator) + (l.period ? " " + l.period : "") + (l.rater_group ? " " + l.rater_group : "");
        return el("tr", null, [el("td", { style: "padding-left:" + (8 + 16 * l.depth) + "px", text: name }), td(l.weight, "num"), td(l.value, "num"), td(l.contribution, "num")]);
      }));
      var head = unitText(c.unit) + " — " + (c.total || "—") + " · " + bandText(c.band);
      box.appendChild(el("details", { "data-unit": c.unit }, [el("summary", { text: head }), table].concat(
        c.reasons.map(function (r) { return el("div", { cls: "note", text: r }); }))));
    });
  }

  /* -- charts (Apache ECharts, SVG renderer so text stays in the DOM) ---------------- */
  function chart(id) {
    var node = document.getElementById(id);
    var old = echarts.getInstanceByDom(node);
    if (old) { old.dispose(); }
    var c = echarts.init(node, null, { renderer: "svg" });
    charts.push(c);
    return c;
  }
  function ms(iso) { return Date.parse(iso); }
  /* the UTC offset of an ISO instant ("+08:00") in ms, to show days in the campaign's zone */
  function offsetMs(iso) {
    var m = /([+-])(\d\d):(\d\d)$/.exec(iso);
    return m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 6e4 : 0;
  }
  function localDay(v, off) { return new Date(v + off).toISOString().slice(0, 10); }
  function md(iso) { return iso.slice(5, 10); }
  function renderStatusChart() {
    var order = ["not_open", "pending", "submitted", "returned", "overdue", "accepted", "waived"];
    var colours = { not_open: "#cbd5e1", pending: "#94a3b8", submitted: "#60a5fa", returned: "#f59e0b", overdue: "#dc2626", accepted: "#16a34a", waived: "#a3a3a3" };
    var groups = D.board.children.length ? D.board.children : [D.board];
    var names = groups.map(function (g) { return g.unit ? unitText(g.unit) : (zh() ? g.name : D.campaign.id); });
    var series = order.filter(function (s) { return groups.some(function (g) { return g.statuses[s]; }); }).map(function (s) {
      return { name: statusText(s), type: "bar", stack: "all", itemStyle: { color: colours[s] }, barMaxWidth: 28,
        data: groups.map(function (g) { return g.statuses[s] || 0; }) };
    });
    document.getElementById("status-chart").style.height = (90 + 34 * groups.length) + "px";
    chart("status-chart").setOption({
      textStyle: { fontFamily: FONT }, animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, textStyle: { fontFamily: FONT } },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "value" }, yAxis: { type: "category", data: names, inverse: true },
      series: series
    });
  }
  function renderGantt() {
    var rows = D.gantt;
    var cats = rows.map(function (r) { return (r.kind === "phase" ? "" : "  ") + text(r.title, r.id); });
    var palette = ["#60a5fa", "#f59e0b", "#34d399", "#f87171", "#a78bfa", "#fbbf24", "#2dd4bf"];
    var colour = {}, n = 0;
    rows.forEach(function (r) { if (r.kind === "phase") { colour[r.phase] = palette[n++ % palette.length]; } });
    var base = [], span = [], marks = [];
    rows.forEach(function (r, i) {
      base.push(ms(r.start));
      span.push({ value: ms(r.end) - ms(r.start), itemStyle: { color: colour[r.phase], opacity: r.kind === "phase" ? 0.75 : 0.35 } });
      r.dues.forEach(function (d) {
        marks.push({ value: [ms(d), i], label: { show: true, formatter: r.recurring ? md(d) : md(d) + " " + text(r.title, r.id), rotate: r.recurring ? 90 : 0, position: r.recurring ? "bottom" : "right", fontSize: r.recurring ? 9 : 11, fontFamily: FONT, align: r.recurring ? "right" : "left", verticalAlign: "middle" }, name: text(r.title, r.id), due: d });
      });
    });
    var start = ms(D.phases[0].start), end = Math.max.apply(null, rows.map(function (r) { return ms(r.end); }));
    var off = offsetMs(D.phases[0].start);
    var dayMs = 864e5, lo = Math.floor((start + off) / dayMs) * dayMs - off - 2 * dayMs;
    var spanDays = (end - lo) / dayMs, step = spanDays > 200 ? 30 : spanDays > 90 ? 14 : 7;
    var perRow = rows.some(function (r) { return r.recurring; }) ? 46 : 30;
    var height = Math.max(260, 90 + perRow * rows.length);
    document.getElementById("gantt").style.height = height + "px";
    var c = chart("gantt");
    c.setOption({
      textStyle: { fontFamily: FONT }, animation: false,
      tooltip: { trigger: "item", formatter: function (p) {
        if (p.seriesIndex === 2) { return esc(p.data.name) + "<br>" + t("deadline") + ": " + esc(p.data.due.slice(0, 10)); }
        var r = rows[p.dataIndex]; return esc(text(r.title, r.id)) + "<br>" + esc(r.start.slice(0, 10)) + " — " + esc(r.end.slice(0, 10));
      } },
      grid: { left: 8, right: 150, top: 28, bottom: 56, containLabel: true },
      dataZoom: [{ type: "slider", xAxisIndex: 0, filterMode: "none", bottom: 8, height: 18, labelFormatter: function (v) { return localDay(v, off); } }, { type: "inside", xAxisIndex: 0, filterMode: "none" }],
      xAxis: { type: "value", min: lo, max: end + Math.max(10, spanDays * 0.12) * dayMs, interval: step * dayMs,
        axisLabel: { formatter: function (v) { return localDay(v, off).slice(5); }, fontFamily: FONT }, splitLine: { show: true, lineStyle: { opacity: 0.4 } } },
      yAxis: { type: "category", data: cats, inverse: true, axisLabel: { fontFamily: FONT, fontWeight: "normal", formatter: function (v, i) { return rows[i] && rows[i].kind === "phase" ? "{b|" + v + "}" : v; }, rich: { b: { fontWeight: "bold", fontFamily: FONT } } } },
      series: [
        { type: "bar", stack: "g", data: base, itemStyle: { color: "transparent" }, silent: true, barWidth: "55%", tooltip: { show: false } },
        { type: "bar", stack: "g", data: span, barWidth: "55%",
          markLine: D.campaign.at ? { symbol: "none", silent: true, lineStyle: { color: "#b91c1c", type: "dashed" },
            label: { formatter: t("at") + " " + D.campaign.at.slice(0, 10), position: "insideEndTop", fontFamily: FONT, color: "#b91c1c" },
            data: [{ xAxis: ms(D.campaign.at) }] } : undefined },
        { type: "scatter", data: marks, symbol: "triangle", symbolRotate: 180, symbolSize: 9, itemStyle: { color: "#111" }, labelLayout: { hideOverlap: false }, z: 5 }
      ]
    });
    document.getElementById("ladder").textContent = zh() ? D.campaign.escalation_caption + " · ▼ = " + t("deadline")
      : "escalation: " + D.escalation.map(function (l) { return l.id; }).join(" → ") + " · ▼ = deadline";
  }
  function renderGradeChart() {
    var ev = D.evaluation;
    var box = document.getElementById("grade-chart");
    box.hidden = !ev || !ev.distribution || !ev.distribution.length;
    if (box.hidden) { return; }
    var total = ev.distribution.reduce(function (a, d) { return a + d.count; }, 0);
    chart("grade-chart").setOption({
      textStyle: { fontFamily: FONT }, animation: false, tooltip: {},
      grid: { left: 8, right: 8, top: 24, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: ev.distribution.map(function (d) { return bandText(d.band); }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", barMaxWidth: 48, data: ev.distribution.map(function (d) {
        var i = Object.keys(ev.bands).indexOf(d.band);
        return { value: d.count, itemStyle: { color: i < 0 ? "#94a3b8" : ["#16a34a", "#60a5fa", "#f59e0b", "#dc2626", "#7c3aed"][i % 5] } };
      }), label: { show: true, position: "top", fontFamily: FONT, formatter: function (p) { return p.value + " (" + Math.round((100 * p.value) / total) + "%)"; } } }]
    });
  }

  function render() {
    document.body.setAttribute("data-lang", state.lang);
    renderHeader(); renderSummary(); renderLegend(); renderTree(); renderFilters();
    renderOverdue(); renderTimeline(); renderFindings(); renderEvaluation();
    charts = [];
    renderStatusChart(); renderGantt(); renderGradeChart();
  }
  document.getElementById("lang-toggle").addEventListener("click", function () {
    state.lang = zh() ? "en" : "zh"; render();
  });
  document.getElementById("f-subtree").addEventListener("change", function (e) { state.subtree = e.target.value; renderOverdue(); });
  document.getElementById("f-step").addEventListener("change", function (e) { state.step = e.target.value; renderOverdue(); });
  document.getElementById("f-unit").addEventListener("change", function (e) { selectUnit(e.target.value); });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  function start() { render(); document.body.setAttribute("data-ready", "1"); }
  var fontsReady = document.fonts && document.fonts.load ? document.fonts.load("14px ZywCJK", "中") : null;
  if (fontsReady) { fontsReady.then(start, start); } else { start(); }
})();
