//! The keys on fields and variants: which field is the priority, the partition key, the map
//! key or the version, and which level each variant of an enum message has.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned as _;
use syn::{Data, Fields, Ident, Member, Token, Type, Variant};

use crate::errors::Errors;
use crate::parse::keys::{ours, Key, Site};
use crate::parse::read::{empty_parens, parse_usize, set, skip_value, Spanned};
use crate::parse::suggest::{nearest, one_of};

const INTEGERS: &[&str] = &[
    "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128", "isize",
];

/// A field marked with one of the field keys.
#[derive(Clone)]
pub(crate) struct MarkedField {
    pub(crate) member: Member,
    pub(crate) ty: Type,
    /// The key as written on the field, where errors about the mark point.
    pub(crate) span: Span,
}

/// How a priority field's level is read.
#[derive(Clone)]
pub(crate) enum PriorityKind {
    /// `#[elastic_queue(priority)]`: the field's type implements `Priority`.
    Typed,
    /// `#[elastic_queue(priority(levels = N))]`: an integer from 0 to N - 1.
    Integer { levels: Spanned<usize> },
}

#[derive(Clone)]
pub(crate) struct PriorityField {
    pub(crate) field: MarkedField,
    pub(crate) kind: PriorityKind,
}

/// An enum message's variant and the level `#[elastic_queue(priority = N)]` gave it.
pub(crate) struct VariantLevel<'a> {
    pub(crate) variant: &'a Variant,
    pub(crate) level: Option<Spanned<usize>>,
}

/// Every mark on the fields and variants of a message.
#[derive(Default)]
pub(crate) struct Roles<'a> {
    pub(crate) priority: Option<PriorityField>,
    pub(crate) partition_key: Option<MarkedField>,
    pub(crate) key: Option<MarkedField>,
    pub(crate) version: Option<MarkedField>,
    /// For an enum message with at least one `priority = N` variant: every variant.
    pub(crate) variant_levels: Vec<VariantLevel<'a>>,
}

impl<'a> Roles<'a> {
    pub(crate) fn of(data: &'a Data, errors: &mut Errors) -> Self {
        let mut roles = Roles::default();
        match data {
            Data::Struct(data) => {
                for (index, field) in data.fields.iter().enumerate() {
                    let member = field
                        .ident
                        .clone()
                        .map_or_else(|| Member::Unnamed(syn::Index::from(index)), Member::Named);
                    for attribute in ours(&field.attrs) {
                        let parsed = attribute.parse_nested_meta(|meta| {
                            roles.parse_field_key(&meta, &member, &field.ty, errors)
                        });
                        if let Err(error) = parsed {
                            errors.push(error);
                        }
                    }
                }
            }
            Data::Enum(data) => {
                let mut any_level = false;
                for variant in &data.variants {
                    let mut level = None;
                    for attribute in ours(&variant.attrs) {
                        let parsed = attribute
                            .parse_nested_meta(|meta| parse_variant_key(&meta, &mut level, errors));
                        if let Err(error) = parsed {
                            errors.push(error);
                        }
                    }
                    any_level |= level.is_some();
                    reject_variant_fields(&variant.fields, errors);
                    roles.variant_levels.push(VariantLevel { variant, level });
                }
                if !any_level {
                    roles.variant_levels.clear();
                }
            }
            Data::Union(_) => {}
        }
        roles
    }

    fn parse_field_key(
        &mut self,
        meta: &ParseNestedMeta<'_>,
        member: &Member,
        ty: &Type,
        errors: &mut Errors,
    ) -> syn::Result<()> {
        let span = meta.path.span();
        let field_keys = Site::Field.keys();
        let Some(written) = meta.path.get_ident().map(Ident::to_string) else {
            errors.at(
                span,
                format!("expected a field key: {}", one_of(&field_keys)),
            );
            return skip_value(meta);
        };
        let field = MarkedField {
            member: member.clone(),
            ty: ty.clone(),
            span,
        };
        match Key::at(Site::Field, &written) {
            Some(key @ Key::Priority) => {
                let Some(kind) = parse_priority_kind(meta, ty, errors)? else {
                    return Ok(());
                };
                let mark = PriorityField { field, kind };
                mark_once(&mut self.priority, mark, |p| &p.field, key, errors);
            }
            Some(key @ (Key::PartitionKey | Key::MapKey | Key::Version)) => {
                if !meta.input.is_empty() && !meta.input.peek(Token![,]) {
                    errors.at(
                        span,
                        format!(
                            "`{key}` on a field takes no value: write `#[elastic_queue({key})]`"
                        ),
                    );
                    skip_value(meta)?;
                }
                let slot = match key {
                    Key::PartitionKey => &mut self.partition_key,
                    Key::MapKey => &mut self.key,
                    _ => &mut self.version,
                };
                mark_once(slot, field, |f| f, key, errors);
            }
            _ => {
                let key = written;
                let hint = match (nearest(&key, &field_keys), Key::named(&key)) {
                    (Some(near), _) => format!("did you mean `{near}`? "),
                    (
                        None,
                        Some(
                            Key::Engine
                            | Key::Capacity
                            | Key::Partitions
                            | Key::Fair
                            | Key::Mode
                            | Key::Name,
                        ),
                    ) => format!("`{key}` is a key of the queue: put it on the type; "),
                    _ => String::new(),
                };
                errors.at(
                    span,
                    format!(
                        "unknown field key `{key}`; {hint}a field can be marked {}",
                        one_of(&field_keys)
                    ),
                );
                skip_value(meta)?;
            }
        }
        Ok(())
    }
}

/// Records `mark` unless a field already has this role, which is reported on the new one.
fn mark_once<T>(
    slot: &mut Option<T>,
    mark: T,
    field_of: impl Fn(&T) -> &MarkedField,
    role: Key,
    errors: &mut Errors,
) {
    if let Some(first) = slot {
        let first = &field_of(first).member;
        let first = match first {
            Member::Named(ident) => format!("`{ident}`"),
            Member::Unnamed(index) => format!("field {}", index.index),
        };
        errors.at(
            field_of(&mark).span,
            format!(
                "a message has one `{role}` field, and {first} is already marked; remove one of \
                 the marks"
            ),
        );
    } else {
        *slot = Some(mark);
    }
}

fn parse_priority_kind(
    meta: &ParseNestedMeta<'_>,
    ty: &Type,
    errors: &mut Errors,
) -> syn::Result<Option<PriorityKind>> {
    let span = meta.path.span();
    if meta.input.peek(Token![=]) {
        errors.at(
            span,
            "`priority = N` fixes the level of an enum variant; on a field write \
             `#[elastic_queue(priority)]` for a `Priority` type or \
             `#[elastic_queue(priority(levels = N))]` for an integer",
        );
        skip_value(meta)?;
        return Ok(None);
    }
    if !meta.input.peek(syn::token::Paren) {
        if let Some(int) = integer_name(ty) {
            errors.spanned(
                ty,
                format!(
                    "an integer priority needs its number of levels: write \
                     `#[elastic_queue(priority(levels = 3))]` on this `{int}` field (levels \
                     0, 1, 2), or use an enum deriving `Priority`"
                ),
            );
            return Ok(None);
        }
        return Ok(Some(PriorityKind::Typed));
    }
    if let Some(parens) = empty_parens(meta)? {
        errors.at(
            parens,
            "`priority()` is empty: write `priority(levels = 3)` for an integer field, or \
             `priority` for a `Priority` type",
        );
        return Ok(None);
    }
    let mut levels = None;
    meta.parse_nested_meta(|inner| {
        if !Key::Levels.is(&inner.path) {
            errors.at(
                inner.path.span(),
                "`priority(...)` takes one key, `levels`: write `priority(levels = 3)`",
            );
            return skip_value(&inner);
        }
        let value = parse_usize(
            &inner,
            Key::Levels,
            "priority(levels = 3)",
            "the number of priority levels",
            errors,
        )?;
        set(&mut levels, value, Key::Levels, inner.path.span(), errors);
        Ok(())
    })?;
    Ok(levels.map(|levels| PriorityKind::Integer { levels }))
}

fn parse_variant_key(
    meta: &ParseNestedMeta<'_>,
    level: &mut Option<Spanned<usize>>,
    errors: &mut Errors,
) -> syn::Result<()> {
    let span = meta.path.span();
    let key = meta
        .path
        .get_ident()
        .map(Ident::to_string)
        .unwrap_or_default();
    if Key::at(Site::Variant, &key) != Some(Key::Priority) {
        let hint = match (nearest(&key, &Site::Variant.keys()), Key::named(&key)) {
            (Some(near), _) => format!("did you mean `{near}`? "),
            (None, Some(Key::PartitionKey)) => {
                "route an enum with `#[elastic_queue(partition_key = Self::route)]` on the \
                 type; "
                    .to_owned()
            }
            _ => String::new(),
        };
        errors.at(
            span,
            format!(
                "unknown variant key `{key}`; {hint}a variant takes `priority = N`, its fixed \
                 level"
            ),
        );
        return skip_value(meta);
    }
    let value = parse_usize(
        meta,
        Key::Priority,
        "priority = 2",
        "the variant's level (0 is the lowest)",
        errors,
    )?;
    set(level, value, Key::Priority, span, errors);
    Ok(())
}

fn reject_variant_fields(fields: &Fields, errors: &mut Errors) {
    for field in fields {
        for attribute in ours(&field.attrs) {
            let parsed = attribute.parse_nested_meta(|meta| {
                errors.at(
                    meta.path.span(),
                    "keys on the fields of an enum variant are not supported: give each variant \
                     a level with `#[elastic_queue(priority = N)]`, and route with \
                     `#[elastic_queue(partition_key = Self::route)]` on the enum",
                );
                skip_value(&meta)
            });
            if let Err(error) = parsed {
                errors.push(error);
            }
        }
    }
}

/// The name of a primitive integer type, if `ty` is written as one.
pub(crate) fn integer_name(ty: &Type) -> Option<&'static str> {
    let Type::Path(path) = ty else {
        return None;
    };
    let segments: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    let name = match segments.as_slice() {
        [name] => name,
        [root, module, name] if (root == "core" || root == "std") && module == "primitive" => name,
        _ => return None,
    };
    INTEGERS.iter().copied().find(|int| int == name)
}
