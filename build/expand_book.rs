// Expands the book's chapters exactly as mdBook does (its own `links`
// preprocessor: {{#include}}, {{#rustdoc_include}}, anchors, line ranges),
// so that skeptic tests what a reader sees. Also fails on a missing file or
// anchor, which mdBook itself only logs or ignores.
use anyhow::{bail, Context, Result};
use mdbook_driver::book::BookItem;
use mdbook_driver::builtin_preprocessors::LinkPreprocessor;
use mdbook_driver::{config::Config, MDBook};
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use regex::Regex;
use std::path::{Path, PathBuf};

pub fn expand_book(book_root: &Path, out_dir: &Path) -> Result<Vec<PathBuf>> {
    let toml = book_root.join("book.toml");
    let mut cfg = if toml.exists() {
        Config::from_disk(&toml)?
    } else {
        Config::default()
    };
    cfg.update_from_env()?; // as MDBook::load does
    cfg.build.create_missing = false; // never write stub chapters into src/
    let md = MDBook::load_with_config(book_root, cfg)?; // configured preprocessors are not run
    let src = md.root.join(&md.config.book.src);
    for item in md.book.iter() {
        if let BookItem::Chapter(ch) = item {
            if let Some(p) = &ch.path {
                check_links(&ch.content, src.join(p).parent().unwrap(), &src.join(p), 0)?;
            }
        }
    }
    let ctx = PreprocessorContext::new(md.root.clone(), md.config.clone(), "markdown".into());
    let book = LinkPreprocessor::new().run(&ctx, md.book.clone())?;
    let mut written = Vec::new();
    for item in book.iter() {
        if let BookItem::Chapter(ch) = item {
            if let Some(p) = &ch.path {
                let dest = out_dir.join(p);
                std::fs::create_dir_all(dest.parent().unwrap())?;
                std::fs::write(&dest, &ch.content)
                    .with_context(|| format!("{}", dest.display()))?;
                written.push(dest);
            }
        }
    }
    Ok(written)
}

// mdBook 0.5 logs (not errors) unreadable files and ignores unknown anchors, so
// re-scan with mdBook's own link regex; recurses into the whole included file.
fn check_links(text: &str, base: &Path, origin: &Path, depth: usize) -> Result<()> {
    let link = Regex::new(r"(?x)\\\{\{\#.*\}\} | \{\{\s*\#([a-zA-Z0-9_]+)\s+([^}]+)\}\}")?;
    if depth >= 10 {
        bail!("{}: include depth exceeded", origin.display());
    }
    for cap in link.captures_iter(text) {
        let (Some(kind), Some(rest)) = (cap.get(1), cap.get(2)) else {
            continue;
        }; // escaped
        let kind = kind.as_str();
        if !matches!(
            kind,
            "include" | "rustdoc_include" | "playground" | "playpen"
        ) {
            continue;
        }
        let arg = rest.as_str().split_whitespace().next().unwrap_or("");
        let (file, spec) = match arg.split_once(':') {
            Some((f, s)) if kind.ends_with("include") => (f, Some(s)),
            _ => (arg, None),
        };
        let target = base.join(file);
        let body = std::fs::read_to_string(&target).with_context(|| {
            format!(
                "{}: `{}`: cannot read {}",
                origin.display(),
                &cap[0],
                target.display()
            )
        })?;
        // as mdBook: a first `:` part that is neither empty nor a number is an anchor
        let anchor = spec
            .and_then(|s| s.split(':').next())
            .filter(|a| !a.is_empty());
        if let Some(a) = anchor.filter(|a| a.parse::<usize>().is_err()) {
            let has = |kw: &str| {
                let re = Regex::new(&format!(r"{kw}:\s*([\w_-]+)")).unwrap();
                body.lines()
                    .any(|l| re.captures(l).is_some_and(|c| &c[1] == a))
            };
            if !has("ANCHOR") || !has("ANCHOR_END") {
                bail!(
                    "{}: `{}`: anchor `{a}` not found in {}",
                    origin.display(),
                    &cap[0],
                    target.display()
                );
            }
        }
        check_links(&body, target.parent().unwrap(), &target, depth + 1)?;
    }
    Ok(())
}
