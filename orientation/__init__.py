"""The domain library both processes stand on: places, jobs, activities, sectors, the campus
catalogue and its search, the school's settings, the domain's words. It imports neither Rasa nor
the runtime (bot/, actions/) nor the tooling (ops/, devtools/, cli/)."""
