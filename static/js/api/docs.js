// Starts Swagger UI (static/vendor/swagger-ui) on the API's own OpenAPI document; kept out of the
// page so the Content-Security-Policy can forbid inline scripts.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    // a token pasted under "Authorize" is sent as a Bearer header; cookies are never needed
    withCredentials: false,
    validatorUrl: null,
  });
});
