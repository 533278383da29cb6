/**
 * The dashboard's one script, plain ES2017 for the browser (no bundler): copy buttons, confirm
 * prompts, the ingestion chart, the personas' radar charts and the live tail. Pages work without
 * it except the charts and the tail's updates. It never inserts HTML: text goes in through textContent.
 */
export const APP_SCRIPT = `(function () {
  'use strict';
  function flash(button, text) {
    var before = button.getAttribute('data-label') || button.textContent;
    button.setAttribute('data-label', before);
    button.textContent = text;
    setTimeout(function () { button.textContent = before; }, 2000);
  }
  function copyFrom(button) {
    var target = document.getElementById(button.getAttribute('data-copy'));
    if (!target) return;
    var text = 'value' in target ? target.value : target.textContent;
    function fallback() {
      if ('select' in target) { target.select(); }
      try { document.execCommand('copy'); flash(button, 'Copied'); } catch (e) { flash(button, 'Press Ctrl+C'); }
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { flash(button, 'Copied'); }, fallback);
    } else { fallback(); }
  }
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('[data-copy]');
    if (button) { event.preventDefault(); copyFrom(button); }
  });
  document.addEventListener('submit', function (event) {
    var question = event.target.getAttribute('data-confirm');
    if (question && !window.confirm(question)) event.preventDefault();
  });

  var palette = ['#3346c8', '#e07a1f', '#1b7a3a', '#b3261e', '#7b3fb5', '#0f8b8d', '#c2185b', '#6d6e00', '#455a64'];
  var chartData = document.getElementById('ingestion-chart-data');
  var canvas = document.getElementById('ingestion-chart');
  if (chartData && canvas && window.Chart) {
    var data = JSON.parse(chartData.textContent);
    new window.Chart(canvas, {
      type: 'bar',
      data: {
        labels: data.days.map(function (d) { return d.slice(5); }),
        datasets: data.types.map(function (type, i) {
          return { label: type, data: data.series[type], backgroundColor: palette[i % palette.length] };
        })
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: 'bottom' } }
      }
    });
  }

  var personaData = document.getElementById('personas-chart-data');
  if (personaData && window.Chart) {
    var personas = JSON.parse(personaData.textContent);
    personas.personas.forEach(function (p, i) {
      var radar = document.getElementById('persona-radar-' + p.persona);
      if (!radar) return;
      var colour = palette[i % palette.length];
      new window.Chart(radar, {
        type: 'radar',
        data: {
          labels: personas.categories,
          datasets: [{ label: 'Persona ' + p.persona, data: p.means, borderColor: colour, backgroundColor: colour + '33', pointBackgroundColor: colour }]
        },
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          scales: { r: { min: 0, max: 100, ticks: { stepSize: 25 } } },
          plugins: { legend: { display: false } }
        }
      });
    });
  }

  var tail = document.getElementById('live-tail');
  if (tail && window.fetch) {
    var source = tail.getAttribute('data-src');
    var after = Number(tail.getAttribute('data-after')) || 0;
    var rows = tail.querySelector('tbody');
    var status = document.getElementById('live-tail-status');
    var cell = function (row, text, className) {
      var td = document.createElement('td');
      td.textContent = text;
      if (className) td.className = className;
      row.appendChild(td);
    };
    var poll = function () {
      if (document.hidden) { setTimeout(poll, 3000); return; }
      fetch(source + '&after=' + after, { credentials: 'same-origin', headers: { accept: 'application/json' } })
        .then(function (res) { if (!res.ok) throw new Error(String(res.status)); return res.json(); })
        .then(function (body) {
          body.batches.slice().reverse().forEach(function (b) {
            var empty = rows.querySelector('.tail-empty');
            if (empty) empty.parentNode.removeChild(empty);
            var tr = document.createElement('tr');
            cell(tr, b.at, 'when'); cell(tr, b.type); cell(tr, String(b.count), 'num'); cell(tr, b.sample, 'mono');
            rows.insertBefore(tr, rows.firstChild);
            after = Math.max(after, b.seq);
          });
          while (rows.children.length > 50) rows.removeChild(rows.lastChild);
          if (status) status.textContent = 'Live: checked at ' + new Date().toLocaleTimeString();
        })
        .catch(function () { if (status) status.textContent = 'Live tail paused: the server did not answer; retrying.'; })
        .then(function () { setTimeout(poll, 3000); });
    };
    setTimeout(poll, 3000);
  }
})();
`;
