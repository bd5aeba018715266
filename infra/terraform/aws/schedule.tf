# The scheduled dbt builds, read from the one schedule file of the project
# (analytics_core/schedules.yml, `builds:`). Only locals live in this file, so
# tests evaluate it with `terraform console` without any provider.
#
# The file's cron is 5-field UTC (minute hour day-of-month month day-of-week);
# EventBridge wants cron(minute hour day-of-month month day-of-week year) where
# exactly one of the two day fields is "?", and numbers days of the week 1-7
# from Sunday (cron: 0-7, Sunday is 0 and 7). Converted here:
#   - day-of-week "*"            -> day-of-month as written, day-of-week "?"
#   - day-of-month "*", dow set  -> day-of-month "?", each day number n -> n % 7 + 1
#     (names such as MON stay; ranges map both ends and must not wrap past Saturday)
#   - both restricted: cron means "either day", which EventBridge cannot say;
#     that is an error (schedule_errors), checked before anything is created.
locals {
  schedule_file = yamldecode(file("${path.module}/../../../analytics_core/schedules.yml"))

  build_entries = { for b in local.schedule_file.builds : b.name => b }

  # Fields of each cron, split on any run of whitespace; "five" says whether
  # there are exactly five, and "fields" is padded so indexing never fails
  # (Terraform evaluates both sides of && and ||).
  build_crons = {
    for name, b in local.build_entries : name => {
      five   = length(regexall("\\S+", b.cron)) == 5
      fields = concat(regexall("\\S+", b.cron), ["", "", "", "", ""])
    }
  }

  day_numbers = { SUN = 0, MON = 1, TUE = 2, WED = 3, THU = 4, FRI = 5, SAT = 6 }

  # The days of week of each cron as cron numbers 0-6 (Sunday 0; 7 folds into
  # 0), every list item, range and step expanded; "!" for an item that is not
  # understood (EventBridge allows no step in day-of-week, so steps are
  # expanded rather than passed on).
  build_dow_days = {
    for name, c in local.build_crons : name => flatten([
      for item in split(",", c.fields[4]) : try(
        can(regex("^\\*(/[1-9][0-9]*)?$", item)) ? [
          for d in range(0, 7, try(tonumber(split("/", item)[1]), 1)) : tostring(d)
        ] :
        can(regex("^[0-7]$", item)) ? [tostring(tonumber(item) % 7)] :
        can(regex("^(?i)(SUN|MON|TUE|WED|THU|FRI|SAT)$", item)) ? [tostring(local.day_numbers[upper(item)])] :
        can(regex("^[0-7]-[0-7](/[1-9][0-9]*)?$", item)) && tonumber(substr(item, 0, 1)) <= tonumber(substr(item, 2, 1)) ? [
          for d in range(tonumber(substr(item, 0, 1)), tonumber(substr(item, 2, 1)) + 1, try(tonumber(split("/", item)[1]), 1)) : tostring(d % 7)
        ] :
        ["!"],
        ["!"],
      )
    ])
  }

  # The same days in EventBridge's numbering (1-7 from Sunday), sorted.
  build_dow_eventbridge = {
    for name, days in local.build_dow_days : name => join(",", sort(distinct([
      for d in days : tostring(tonumber(d) + 1) if d != "!"
    ])))
  }

  # Minute, hour, day-of-month and month as EventBridge writes them: a step
  # over everything ("*/n") starts at the field's first value (0/n for minute
  # and hour, 1/n for day and month); the rest is the same syntax in both.
  build_fields_eventbridge = {
    for name, c in local.build_crons : name => [
      for index, field in slice(c.fields, 0, 4) : join(",", [
        for item in split(",", field) : replace(item, "/^\\*//", index < 2 ? "0/" : "1/")
      ])
    ]
  }

  build_both_days = { for name, c in local.build_crons : name => c.fields[2] != "*" && c.fields[4] != "*" }

  # Every entry EventBridge cannot run as written; main.tf refuses to plan while there are any.
  build_schedule_errors = flatten([
    for name, c in local.build_crons : (
      !c.five ? ["builds ${name}: cron '${local.build_entries[name].cron}' must have 5 fields"] :
      local.build_both_days[name] ? ["builds ${name}: cron '${local.build_entries[name].cron}' restricts both day-of-month and day-of-week (cron runs on either), which EventBridge cannot express"] :
      contains(local.build_dow_days[name], "!") ? ["builds ${name}: cron '${local.build_entries[name].cron}' has a day of week EventBridge cannot express (use numbers 0-7, names such as MON, ascending numeric ranges and steps)"] :
      []
    )
  ])

  # name -> cron(...) expression, for the entries without errors.
  build_schedule_expressions = {
    for name, c in local.build_crons : name => format(
      "cron(%s %s %s %s %s *)",
      local.build_fields_eventbridge[name][0],
      local.build_fields_eventbridge[name][1],
      c.fields[4] == "*" ? local.build_fields_eventbridge[name][2] : "?",
      local.build_fields_eventbridge[name][3],
      c.fields[4] == "*" ? "?" : local.build_dow_eventbridge[name],
    ) if c.five && !local.build_both_days[name] && !contains(local.build_dow_days[name], "!")
  }

  # The build jobs each alert (`alerts:`) follows: `after` is one name or a
  # list; none means every build (analytics_core.alerts.Alert.runs_after).
  schedule_alerts = [for a in try(flatten([local.schedule_file.alerts]), []) : a if a != null]
  alert_afters    = [for a in local.schedule_alerts : [for b in flatten([try(a.after, [])]) : b if b != null]]

  # The builds some alert follows: their task evaluates those alerts once the
  # build is published (`analytics build --alerts-after NAME`).
  runner_alerts = length(local.builds_with_alerts) > 0
  builds_with_alerts = toset([
    for name in keys(local.build_entries) : name
    if anytrue([for after in local.alert_afters : length(after) == 0 || contains(after, name)])
  ])

  # name -> the arguments of `analytics` (the task's entry point) for that
  # build: the same as analytics_core.schedules.BuildJob.build_args(), then
  # --alerts-after (the local scheduler runs a build's alerts itself).
  build_commands = {
    for name, b in local.build_entries : name => flatten([
      ["build", "--target", "prod"],
      try(b.full_refresh, false) ? ["--full-refresh"] : [],
      try(b.freshness, true) ? ["--freshness"] : ["--no-freshness"],
      try(b.docs, false) ? ["--docs"] : [],
      [for s in try(b.select, []) : ["--select", s]],
      [for s in try(b.exclude, []) : ["--exclude", s]],
      contains(local.builds_with_alerts, name) ? ["--alerts-after", name] : [],
    ])
  }
}
