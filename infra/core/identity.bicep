// The user-assigned identity that the function app runs as: the host's storage, the app's
// queues, Cosmos DB and telemetry export all accept it, and nothing else.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
