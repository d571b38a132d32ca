//! Where a grade is, as it happens. The runner and the build tell an
//! [`Observer`] each step ([`Event`]): a check starts (its id and title), cargo
//! compiles a crate, a check has its verdict. What shows them (the terminal's
//! display, `terminal.rs`) is apart from here; reports never see any of it.

use std::fmt;
use std::sync::Arc;

use crate::report::CheckResult;

/// One step of a grade.
#[derive(Debug)]
pub enum Event<'a> {
    /// A check begins.
    Started { id: &'a str, title: &'a str },
    /// Cargo finished compiling a crate: how many so far, and which.
    Compiled { count: usize, name: &'a str },
    /// A check has its verdict.
    Finished(&'a CheckResult),
}

/// Told of each [`Event`]; cheap to clone into a `Settings`.
#[derive(Clone)]
pub struct Observer(Arc<dyn Fn(&Event<'_>) + Send + Sync>);

impl Observer {
    pub fn new(tell: impl Fn(&Event<'_>) + Send + Sync + 'static) -> Observer {
        Observer(Arc::new(tell))
    }
}

impl fmt::Debug for Observer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Observer")
    }
}

/// Tells `observer` of `event`, if there is one.
pub fn tell(observer: &Option<Observer>, event: Event<'_>) {
    if let Some(Observer(tell)) = observer {
        tell(&event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_observer_hears_every_event() {
        let heard: Arc<std::sync::Mutex<Vec<String>>> = Arc::default();
        let into = heard.clone();
        let observer = Some(Observer::new(move |event| into.lock().unwrap().push(format!("{event:?}"))));
        tell(&observer, Event::Started { id: "builds", title: "The crate builds" });
        tell(&observer, Event::Compiled { count: 3, name: "rocket" });
        tell(&None, Event::Compiled { count: 4, name: "never" });
        assert_eq!(
            *heard.lock().unwrap(),
            [
                "Started { id: \"builds\", title: \"The crate builds\" }",
                "Compiled { count: 3, name: \"rocket\" }"
            ]
        );
    }
}
