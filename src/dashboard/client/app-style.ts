/** The dashboard's one stylesheet: system fonts, no images, readable from phone to laptop. */
export const APP_STYLE = `
:root{--fg:#1d2230;--muted:#5b6275;--bg:#f6f7fb;--card:#fff;--line:#dfe3ec;--accent:#3346c8;--accent-fg:#fff;--danger:#b3261e;--ok:#1b7a3a;--focus:#ffb000}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:var(--accent);color:var(--accent-fg);padding:.5rem 1rem;z-index:10}
.skip:focus{left:0}
header.top{background:#141a33;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center}
header.top a{color:#fff;text-decoration:none}
header.top .brand{font-weight:700;font-size:1.1rem}
header.top nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem}
header.top nav a[aria-current="page"]{text-decoration:underline;text-underline-offset:4px}
header.top .who{margin-left:auto;display:flex;gap:.75rem;align-items:center;font-size:.9rem}
header.top .who button{background:transparent;color:#fff;border:1px solid #fff6;border-radius:4px;padding:.2rem .6rem;font:inherit;cursor:pointer}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
nav.sub ul{list-style:none;margin:0 0 1rem;padding:0;display:flex;flex-wrap:wrap;gap:.25rem;border-bottom:1px solid var(--line)}
nav.sub a{display:block;padding:.5rem .9rem;text-decoration:none;border-radius:6px 6px 0 0}
nav.sub a[aria-current="page"]{background:var(--card);border:1px solid var(--line);border-bottom-color:var(--card);margin-bottom:-1px;font-weight:600}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1rem;margin:0 0 1rem}
.card>h2:first-child{margin-top:0}
.table-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.95rem}
td.when{white-space:nowrap}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.88rem}
pre{white-space:pre-wrap;word-break:break-all;background:#f0f2f8;border-radius:6px;padding:.75rem;margin:.5rem 0}
form.inline{display:inline}
.row{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end}
label{display:block;font-weight:600;margin-bottom:.25rem}
.field{margin-bottom:.75rem}
input[type=text],input[type=email],input[type=password],select{font:inherit;padding:.5rem .6rem;border:1px solid #aab1c2;border-radius:6px;min-width:14rem;max-width:100%;background:#fff;color:inherit}
button,.button{font:inherit;padding:.5rem 1rem;border-radius:6px;border:1px solid var(--accent);background:var(--accent);color:var(--accent-fg);cursor:pointer;text-decoration:none;display:inline-block}
button.secondary{background:#fff;color:var(--accent)}
button.danger{background:#fff;color:var(--danger);border-color:var(--danger)}
button.small{padding:.2rem .6rem;font-size:.9rem}
.notice{border-left:4px solid var(--ok);background:#eef8f1;padding:.75rem 1rem;border-radius:4px;margin:0 0 1rem}
.error{border-left:4px solid var(--danger);background:#fcefee;padding:.75rem 1rem;border-radius:4px;margin:0 0 1rem}
.secret{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.secret input{flex:1 1 20rem;font-family:ui-monospace,Menlo,Consolas,monospace}
.muted{color:var(--muted)}
.crumb{margin:0}
.empty{border:2px dashed var(--line);border-radius:8px;padding:1rem;background:#fff}
.badge{display:inline-block;padding:0 .45rem;border-radius:999px;font-size:.8rem;border:1px solid var(--line);background:#f0f2f8}
.badge.ok{color:var(--ok);border-color:var(--ok)}.badge.bad{color:var(--danger);border-color:var(--danger)}
.env-switch{display:inline-flex;border:1px solid var(--accent);border-radius:6px;overflow:hidden;margin:0 0 1rem}
.env-switch a{padding:.35rem .9rem;text-decoration:none}
.env-switch a[aria-current="true"]{background:var(--accent);color:var(--accent-fg)}
.chart-box{position:relative;height:18rem}
.radar-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(18rem,1fr));gap:1rem}
.radar{margin:0}.radar .chart-box{height:20rem}.radar figcaption{text-align:center;font-weight:600}
nav.row a{padding:.2rem .6rem;border-radius:6px;text-decoration:none}nav.row a[aria-current="true"]{background:var(--accent);color:var(--accent-fg)}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(10.5rem,1fr));gap:.75rem;margin-bottom:1rem}
.stat{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.6rem .8rem}
.stat b{display:block;font-size:1.3rem;font-variant-numeric:tabular-nums}
.stat-label{display:block;font-size:.9rem;color:var(--muted);overflow-wrap:anywhere}
.chart{margin:0}.chart>svg{display:block;width:100%;height:auto}.chart figcaption{font-size:.9rem;color:var(--muted);margin-bottom:.25rem}
.legend{list-style:none;margin:.25rem 0 0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1rem;font-size:.9rem}
.legend li{display:flex;align-items:center;gap:.35rem}
.chart-pair{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1rem;align-items:start}
.chart-table .table-wrap{max-height:24rem;overflow-y:auto}
.chart-stack{display:grid;gap:1rem}
input[type=date]{font:inherit;padding:.45rem .6rem;border:1px solid #aab1c2;border-radius:6px;background:#fff;color:inherit;max-width:100%}
.signin{max-width:28rem;margin:2rem auto}
@media (max-width:60rem){.chart-pair{grid-template-columns:minmax(0,1fr)}}
@media (max-width:40rem){main{padding:.6rem}h1{font-size:1.25rem}input[type=text],input[type=email],input[type=password],select{min-width:0;width:100%}.chart-box{height:14rem}header.top .who{margin-left:0}}
`;
