//! One workload's result: a human table row set or one JSON object.

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Serialize)]
pub struct Report {
    pub workload: String,
    pub settings: BTreeMap<String, String>,
    pub figures: BTreeMap<String, f64>,
}

impl Report {
    pub fn new(workload: &str) -> Self {
        Self {
            workload: workload.into(),
            settings: BTreeMap::new(),
            figures: BTreeMap::new(),
        }
    }

    pub fn setting(mut self, key: &str, value: impl ToString) -> Self {
        self.settings.insert(key.into(), value.to_string());
        self
    }

    pub fn figure(mut self, key: &str, value: f64) -> Self {
        self.figures.insert(key.into(), value);
        self
    }

    pub fn print(&self, json: bool) {
        if json {
            println!("{}", serde_json::to_string(self).unwrap_or_default());
            return;
        }
        let settings: Vec<String> = self
            .settings
            .iter()
            .filter(|(k, _)| *k != "database")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        println!("\n{} ({})", self.workload, settings.join(", "));
        if let Some(database) = self.settings.get("database") {
            println!("  on {database}");
        }
        for (k, v) in &self.figures {
            println!("  {k:<28} {v:>14.1}");
        }
    }
}
