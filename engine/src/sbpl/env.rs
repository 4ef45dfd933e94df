//! Lexical environments for `define`, `let` and function parameters.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::value::Value;

pub(crate) type EnvRef = Rc<RefCell<Env>>;

#[derive(Debug, Default)]
pub(crate) struct Env {
    vars: HashMap<String, Value>,
    parent: Option<EnvRef>,
}

impl Env {
    pub(crate) fn root() -> EnvRef {
        Rc::new(RefCell::new(Env::default()))
    }

    pub(crate) fn child(parent: &EnvRef) -> EnvRef {
        Rc::new(RefCell::new(Env {
            vars: HashMap::new(),
            parent: Some(parent.clone()),
        }))
    }

    pub(crate) fn lookup(env: &EnvRef, name: &str) -> Option<Value> {
        let e = env.borrow();
        match e.vars.get(name) {
            Some(v) => Some(v.clone()),
            None => e.parent.as_ref().and_then(|p| Env::lookup(p, name)),
        }
    }

    pub(crate) fn define(env: &EnvRef, name: &str, value: Value) {
        env.borrow_mut().vars.insert(name.to_string(), value);
    }
}
