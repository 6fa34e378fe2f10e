"""Forms: questions as data, asked one at a time by one step runner (profile, surveys…)."""
