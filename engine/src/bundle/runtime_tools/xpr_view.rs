//! xpr's own bundles as a [`RunView`], so `xpr diff` can compare one with a runtime-tools run.

use serde_json::Value;

use crate::bundle::view::BundleView;
use crate::model::{RunView, ViewVerdict};

/// A loaded bundle view (of any format the bundle readers know) seen as a [`RunView`].
pub struct LoadedView {
    pub view: BundleView,
}

impl RunView for LoadedView {
    fn format(&self) -> &str {
        self.view.format.as_str()
    }

    fn run_id(&self) -> &str {
        &self.view.run_id
    }

    fn world_id(&self) -> &str {
        &self.view.world_id
    }

    /// The facts stay flattened (`world.kernel`); the comparison flattens nested objects
    /// anyway, so the keys read the same.
    fn world_facts(&self) -> Value {
        let mut map: serde_json::Map<String, Value> = self
            .view
            .facts
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        map.insert("world_id".into(), Value::String(self.view.world_id.clone()));
        map.insert("format".into(), Value::String(self.format().to_owned()));
        Value::Object(map)
    }

    fn verdicts(&self) -> Vec<ViewVerdict> {
        self.view.expectations.values().map(Into::into).collect()
    }

    /// Operations this world can enforce at all (fidelity other than `unsupported`).
    fn vocabulary(&self) -> Vec<String> {
        self.view
            .vocabulary
            .iter()
            .flat_map(|v| v.operations.iter())
            .filter(|(_, f)| !matches!(f, crate::compile::Fidelity::Unsupported))
            .map(|(op, _)| op.clone())
            .collect()
    }
}
