// Package deploy holds the offline checks of the deployment artifacts:
// s.yaml (Serverless Devs, fc3 component) and template.yaml (ROS). No deploy
// can be tested without an Alibaba Cloud account, so the tests read both
// files as data and check what a deploy would otherwise only reveal in the
// cloud: every environment variable the functions read is set, the triggers
// have the right kind and cannot fire on the functions' own writes, the RAM
// roles grant what the code calls and nothing more, ROS references resolve,
// each fc3 resource satisfies the rules of the fc3 props schema, and every
// ROS resource passes the validators Alibaba Cloud generates from its ROS
// resource specifications (@alicloud/ros-cdk-*, run by rosspec.cjs).
//
// The rules are written into the tests (the repository never reads files
// outside itself); each rule has a table test that mutates a copy of the
// parsed document and expects the rule's error, so none of them can pass
// vacuously. `make check-deploy` runs them, plus Serverless Devs' own
// `s preview` and the ROS CDK validators when Node.js and tests/node_modules
// are present (REQUIRE_NODE=1 turns their absence into a failure).
package deploy
