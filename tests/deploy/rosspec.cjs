// Validates the resources of ROS templates with Alibaba Cloud's own resource
// specifications: the @alicloud/ros-cdk-* packages (pinned in
// tests/package.json), whose generated Ros<Resource> classes carry, for every
// resource type, a property validator (types, required properties, allowed
// values, ranges, nested shapes) and a renderer that maps the CDK's props to
// the template's property names.
//
// Input (stdin): {"<name>": <template as JSON>, ...}. Output (stdout):
// {"<name>": {"errors": ["..."], "checked": ["<resource id>", ...]}, ...}.
//
// How a resource is checked, with nothing written here about any type:
//  1. Its Properties are handed to Ros<Resource>.prototype.renderProperties
//     with enableResourcePropertyConstraint set, which runs the generated
//     Ros<Resource>PropsValidator (and through it every nested property
//     validator) and throws on the first failing tree of errors. The props
//     object is a view of the template's PascalCase properties under the
//     CDK's camelCase names (matched without regard to case, the only
//     difference between the two spellings), so the validators see the real
//     values. Intrinsic functions ({"Ref": ...}, {"Fn::...": ...}) are passed
//     through untouched: the CDK itself treats them as unresolved tokens and
//     skips them (ros-cdk-core runtime.js canInspect/isRosIntrinsic).
//  2. The renderer's output names every property the specification knows.
//     Comparing it with the template finds the properties it does not know:
//     invented, misspelled or nested at the wrong level (the renderer drops
//     them, so they would be ignored or refused by ROS).
'use strict';

const packages = ['core', 'fc3', 'oss', 'ram', 'sls'].map((p) => `@alicloud/ros-cdk-${p}`);

// ROS resource types -> the generated class (ROS_RESOURCE_TYPE_NAME).
const classes = new Map();
for (const name of packages.slice(1)) {
  const mod = require(name);
  for (const v of Object.values(mod)) {
    if (typeof v === 'function' && typeof v.ROS_RESOURCE_TYPE_NAME === 'string' &&
        typeof v.prototype.renderProperties === 'function') {
      classes.set(v.ROS_RESOURCE_TYPE_NAME, v);
    }
  }
}
require(packages[0]); // the runtime the validators use; fail early if it is missing

// Keys a resource may have besides Properties (ROS template structure, "Resources").
const resourceKeys = new Set(['Type', 'Properties', 'DependsOn', 'Condition', 'DeletionPolicy', 'Metadata', 'Count', 'UpdatePolicy', 'CreationPolicy']);

function isIntrinsic(v) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
}

// view presents a template value under the CDK's property names.
function view(v) {
  if (Array.isArray(v)) return v.map(view);
  if (v === null || typeof v !== 'object' || isIntrinsic(v)) return v;
  return new Proxy(v, {
    get(target, name) {
      if (typeof name !== 'string') return Reflect.get(target, name);
      if (Object.prototype.hasOwnProperty.call(target, name)) return view(target[name]);
      // The CDK's generator renames a ROS property "Id" to "identity" (a
      // construct's "id" is taken): e.g. @alicloud/ros-cdk-oss renders
      // 'Id': properties.identity for BucketOverwriteConfig rules.
      const lower = name === 'identity' ? 'id' : name.toLowerCase();
      const key = Object.keys(target).find((k) => k.toLowerCase() === lower);
      return key === undefined ? undefined : view(target[key]);
    },
  });
}

// compare reports what the template says that the rendering does not.
function compare(src, out, path, errors) {
  if (isIntrinsic(src) || src === null || typeof src !== 'object') {
    if (JSON.stringify(src) !== JSON.stringify(out)) {
      errors.push(`${path}: the specification renders ${JSON.stringify(out)} for ${JSON.stringify(src)}`);
    }
    return;
  }
  if (Array.isArray(src)) {
    if (!Array.isArray(out)) {
      errors.push(`${path}: a list where the specification has ${JSON.stringify(out)}`);
      return;
    }
    src.forEach((e, i) => compare(e, out[i], `${path}[${i}]`, errors));
    return;
  }
  if (out === null || typeof out !== 'object' || Array.isArray(out)) {
    errors.push(`${path}: an object where the specification has ${JSON.stringify(out)}`);
    return;
  }
  for (const k of Object.keys(src)) {
    if (out[k] === undefined) {
      const near = Object.keys(out).find((o) => o.toLowerCase() === k.toLowerCase());
      errors.push(`${path}.${k}: unknown property` + (near ? ` (the specification spells it ${near})` : ''));
      continue;
    }
    compare(src[k], out[k], `${path}.${k}`, errors);
  }
}

function checkTemplate(doc) {
  const errors = [];
  const checked = [];
  const resources = (doc && doc.Resources) || {};
  for (const id of Object.keys(resources).sort()) {
    const res = resources[id] || {};
    const where = `Resources.${id}`;
    for (const k of Object.keys(res)) {
      if (!resourceKeys.has(k)) errors.push(`${where}.${k}: not a resource attribute`);
    }
    const cls = classes.get(res.Type);
    if (!cls) {
      errors.push(`${where}: resource type ${JSON.stringify(res.Type)} is not in ${packages.slice(1).join(', ')}`);
      continue;
    }
    const props = res.Properties || {};
    let out;
    try {
      out = cls.prototype.renderProperties.call({ enableResourcePropertyConstraint: true }, view(props));
    } catch (e) {
      errors.push(`${where} (${res.Type}): ${String(e.message).replace(/\s+/g, ' ').trim()}`);
      continue;
    }
    // Drop what the renderer left undefined, as the CDK does when it writes JSON.
    out = JSON.parse(JSON.stringify(out));
    compare(props, out, `${where}.Properties`, errors);
    checked.push(id);
  }
  return { errors, checked };
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => { input += c; });
process.stdin.on('end', () => {
  const docs = JSON.parse(input);
  const result = {};
  for (const name of Object.keys(docs)) result[name] = checkTemplate(docs[name]);
  process.stdout.write(JSON.stringify(result));
});
