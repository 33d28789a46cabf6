package sandbox

// pageHTML is the hosted page: its own look (not Remit's), plainly a test
// gateway, one form per method type, errors beside their fields.
const pageHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{if .Amount}}Pay {{.Amount}}{{else}}Add a payment method{{end}} · Sandbox test gateway</title>
<link rel="stylesheet" href="{{.CSS}}">
</head>
<body>
<header><div class="test-banner" role="note">Sandbox test gateway — no real money moves. Use the test cards and accounts listed on this page; real ones are refused.</div></header>
<main>
<p class="gateway">Sandbox Pay</p>
<h1>{{if .Amount}}Pay {{.Amount}}{{else}}Add a payment method{{end}}</h1>
<p class="for">{{if .S.CustomerName}}For {{.S.CustomerName}}{{end}}{{if .S.Description}} · {{.S.Description}}{{end}}</p>
{{if .Closed}}
<div class="closed"><p>{{.Closed}}</p>{{if eq .S.Status "complete"}}<p><a href="{{.S.SuccessURL}}">Return</a></p>{{else if .S.CancelURL}}<p><a href="{{.S.CancelURL}}">Go back</a></p>{{end}}</div>
{{else}}
{{if .Decline}}<div class="decline" role="alert" id="decline">{{.Decline}}</div>{{end}}
{{range .Sections}}{{$sec := .}}
<section class="method" aria-labelledby="h-{{.Type}}">
<h2 id="h-{{.Type}}">{{.Title}}</h2>
<form method="post" novalidate>
<input type="hidden" name="type" value="{{.Type}}">
{{range .Fields}}
<label for="{{.ID}}">{{.Label}}{{if .Hint}} <span class="hint" id="{{.ID}}-hint">{{.Hint}}</span>{{end}}</label>
<input type="text" id="{{.ID}}" name="{{.Name}}" value="{{.Value}}"{{if .Autocomplete}} autocomplete="{{.Autocomplete}}"{{end}}{{if .InputMode}} inputmode="{{.InputMode}}"{{end}}{{if .Error}} aria-invalid="true" aria-describedby="{{.ID}}-error"{{else if .Hint}} aria-describedby="{{.ID}}-hint"{{end}}>
{{if .Error}}<p class="field-error" id="{{.ID}}-error">{{.Error}}</p>{{end}}
{{end}}
{{if .Mandate}}
<p class="mandate" id="{{.Type}}-mandate-text">{{.Mandate}}</p>
<label class="agree" for="{{.Type}}-mandate"><input type="checkbox" id="{{.Type}}-mandate" name="mandate" value="agree"{{if .Agreed}} checked{{end}}{{if index .Error "mandate"}} aria-invalid="true" aria-describedby="{{.Type}}-mandate-error"{{end}}> I agree to the debit mandate above</label>
{{with index .Error "mandate"}}<p class="field-error" id="{{$sec.Type}}-mandate-error">{{.}}</p>{{end}}
{{end}}
<button type="submit">{{.Submit}}</button>
</form>
</section>
{{end}}
{{if .S.CancelURL}}<p><a href="{{.S.CancelURL}}">Cancel and go back</a></p>{{end}}
<details>
<summary>Test cards and accounts</summary>
<table>
<caption>Cards (any future expiry, any 3-digit code; 4 digits for amex)</caption>
<thead><tr><th scope="col">Number</th><th scope="col">What it does</th></tr></thead>
<tbody>{{range .Cards}}<tr><td>{{.Number}}</td><td>{{.Says}}</td></tr>{{end}}</tbody>
</table>
{{if .Accounts}}
<table>
<caption>Bank accounts</caption>
<thead><tr><th scope="col">Scheme</th><th scope="col">Details</th><th scope="col">What it does</th></tr></thead>
<tbody>{{range .Accounts}}<tr><td>{{.Type}}</td><td>{{range $k, $v := .Fields}}{{$k}} {{$v}}; {{end}}</td><td>{{.Says}}</td></tr>{{end}}</tbody>
</table>
{{end}}
</details>
{{end}}
</main>
</body>
</html>
`

// pageCSS is the page's own look, served beside it (no inline styles: the
// page keeps to a strict Content-Security-Policy).
const pageCSS = `:root { --ink: #1d1b3a; --muted: #565470; --accent: #5b3cc4; --bad: #a4111c; --line: #cfcbe6; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #f4f2fb; }
.test-banner { background: repeating-linear-gradient(135deg, #ffd84d 0 18px, #ffe98f 18px 36px); color: #2b2100; padding: .6rem 1rem; text-align: center; font-weight: 600; border-bottom: 2px solid #8a6d00; }
main { max-width: 34rem; margin: 1.5rem auto; padding: 0 1rem 3rem; }
.gateway { font-size: .85rem; letter-spacing: .08em; text-transform: uppercase; color: var(--accent); font-weight: 700; margin: 0; }
h1 { margin: .2rem 0 .25rem; font-size: 1.6rem; }
.for { color: var(--muted); margin: 0 0 1rem; }
section.method { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.25rem; margin: 1rem 0; }
section.method h2 { font-size: 1.1rem; margin: 0 0 .5rem; }
label { display: block; font-weight: 600; margin-top: .75rem; }
.hint { display: block; color: var(--muted); font-size: .85rem; font-weight: 400; }
input[type=text], input:not([type]) { width: 100%; font: inherit; padding: .5rem .6rem; border: 1px solid #8e8aa8; border-radius: 6px; }
input[aria-invalid=true] { border: 2px solid var(--bad); }
.field-error { color: var(--bad); margin: .25rem 0 0; font-weight: 600; }
.mandate { font-size: .9rem; background: #f7f6fd; border-left: 4px solid var(--accent); padding: .5rem .75rem; margin-top: 1rem; }
.agree { display: flex; gap: .5rem; align-items: flex-start; font-weight: 600; }
.agree input { margin-top: .3rem; width: 1.1rem; height: 1.1rem; }
button { margin-top: 1rem; font: inherit; font-weight: 700; background: var(--accent); color: #fff; border: 0; border-radius: 6px; padding: .6rem 1.2rem; cursor: pointer; }
button:focus-visible, a:focus-visible, input:focus-visible { outline: 3px solid #ff9e1b; outline-offset: 2px; }
.decline { background: #fdecee; border: 2px solid var(--bad); color: var(--bad); border-radius: 8px; padding: .6rem .8rem; font-weight: 700; }
.closed { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 1rem; }
a { color: var(--accent); }
table { border-collapse: collapse; font-size: .9rem; width: 100%; }
th, td { text-align: left; padding: .25rem .5rem; border-bottom: 1px solid var(--line); }
details { margin-top: 1.5rem; }
`
