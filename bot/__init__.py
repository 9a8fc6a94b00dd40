"""The running assistant: what Rasa loads (channels, NLU components, patches), its start-up check
and the demo web server. Imports nothing from ops/, devtools/ or cli/."""
