'use strict';
// The public shapes of stored records: what the API and the JS API may show.

/** An agent without its password hash. */
function publicAgent(a) {
  return { id: a.id, email: a.email, name: a.name, role: a.role, maxChats: a.maxChats, sites: [...(a.sites || [])], teams: [...(a.teams || [])] };
}

module.exports = { publicAgent };
